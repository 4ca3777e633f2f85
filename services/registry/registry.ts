import type { Type } from 'avsc';
import { avroType, parseSchema, type ParsedSchema } from './canonical.ts';
import { checkCompatibility, type PreviousVersion } from './compatibility.ts';
import { registryErrors } from './registry-error.ts';
import { globalScope, type RegistryQueries, type RegistryStore } from './store.ts';
import {
  defaultCompatibilityLevel,
  defaultMode,
  type CompatibilityLevel,
  type Mode,
  type SchemaEntity,
  type SchemaRequest,
  type StoredSchema,
  type SubjectVersion,
  type VersionRef,
} from './types.ts';

export interface CompatibilityResult {
  is_compatible: boolean;
  messages?: string[];
}

/** The registry's rules (Confluent semantics), independent of HTTP. Subjects are already validated. */
export interface Registry {
  schemaById(id: number, opts: { subject?: string }): Promise<StoredSchema>;
  subjectsOfSchema(id: number, opts: { includeDeleted: boolean }): Promise<string[]>;
  versionsOfSchema(id: number, opts: { includeDeleted: boolean }): Promise<Array<{ subject: string; version: number }>>;
  listSchemas(opts: { includeDeleted: boolean; prefix: string; latestOnly: boolean }): Promise<SchemaEntity[]>;
  subjects(opts: { includeDeleted: boolean; prefix: string }): Promise<string[]>;
  versions(subject: string, opts: { includeDeleted: boolean }): Promise<number[]>;
  version(subject: string, ref: VersionRef, opts: { includeDeleted: boolean }): Promise<SchemaEntity>;
  register(subject: string, request: SchemaRequest): Promise<{ id: number }>;
  lookup(subject: string, request: SchemaRequest, opts: { includeDeleted: boolean }): Promise<SchemaEntity>;
  deleteSubject(subject: string, opts: { permanent: boolean }): Promise<number[]>;
  deleteVersion(subject: string, ref: VersionRef, opts: { permanent: boolean }): Promise<number>;
  /** `ref` null checks against the versions the subject's level names (latest, or all if transitive). */
  testCompatibility(subject: string, ref: VersionRef | null, request: SchemaRequest, opts: { verbose: boolean }): Promise<CompatibilityResult>;
  /** `subject` null is the global level. */
  getConfig(subject: string | null, opts: { defaultToGlobal: boolean }): Promise<CompatibilityLevel>;
  setConfig(subject: string | null, level: CompatibilityLevel): Promise<void>;
  deleteConfig(subject: string | null): Promise<CompatibilityLevel>;
  getMode(subject: string | null, opts: { defaultToGlobal: boolean }): Promise<Mode>;
  setMode(subject: string | null, mode: Mode, opts: { force: boolean }): Promise<void>;
  deleteMode(subject: string | null): Promise<Mode>;
}

export function toEntity(v: SubjectVersion): SchemaEntity {
  const entity: SchemaEntity = { subject: v.subject, version: v.version, id: v.id, schema: v.schema };
  if (v.schemaType !== 'AVRO') entity.schemaType = v.schemaType;
  return entity;
}

const isReadOnly = (mode: Mode) => mode === 'READONLY' || mode === 'READONLY_OVERRIDE';

/** Parsed Avro types by schema id: ids never change their schema, so this never goes stale. */
function createTypeCache(max: number): (s: StoredSchema) => Type {
  const cache = new Map<number, Type>();
  return (s) => {
    let type = cache.get(s.id);
    if (!type) {
      type = avroType(s.schema);
      if (cache.size >= max) cache.clear();
      cache.set(s.id, type);
    }
    return type;
  };
}

export function createRegistry({ store, typeCacheSize = 1000 }: { store: RegistryStore; typeCacheSize?: number }): Registry {
  const typeOf = createTypeCache(typeCacheSize);

  const modeIn = async (q: RegistryQueries, subject: string): Promise<Mode> => (await q.getMode(subject)) ?? (await q.getMode(globalScope)) ?? defaultMode;
  const levelIn = async (q: RegistryQueries, subject: string): Promise<CompatibilityLevel> =>
    (await q.getConfig(subject)) ?? (await q.getConfig(globalScope)) ?? defaultCompatibilityLevel;

  /** Finds one version; `latest` is the newest live one (or newest of all when deleted ones count). */
  const findVersion = async (subject: string, ref: VersionRef, includeDeleted: boolean): Promise<SubjectVersion> => {
    const all = await store.versions(subject, { includeDeleted });
    if (all.length === 0) throw registryErrors.subjectNotFound(subject);
    const found = ref === 'latest' ? all.at(-1) : all.find((v) => v.version === ref);
    if (!found) throw registryErrors.versionNotFound(ref);
    return found;
  };

  const schemaIdFor = async (q: RegistryQueries, parsed: ParsedSchema, importId: number | undefined): Promise<number> => {
    await q.lockSchemaIds();
    const existing = await q.schemaByFingerprint(parsed.schemaType, parsed.fingerprint);
    if (importId === undefined) return existing?.id ?? q.insertSchema(parsed);
    if (existing) {
      if (existing.id === importId) return importId;
      throw registryErrors.operationNotPermitted(`This schema is already registered with id ${existing.id}; it cannot be imported as id ${importId}`);
    }
    if (await q.schemaById(importId)) throw registryErrors.operationNotPermitted(`Overwrite new schema with id ${importId} is not permitted.`);
    return q.insertSchema(parsed, importId);
  };

  const liveMatch = (versions: readonly SubjectVersion[], parsed: ParsedSchema) =>
    versions.findLast((v) => !v.deleted && v.schemaType === parsed.schemaType && v.fingerprint === parsed.fingerprint);

  return {
    async schemaById(id, { subject }) {
      const schema = await store.schemaById(id);
      if (!schema) throw registryErrors.schemaNotFound(id);
      if (subject !== undefined) {
        const refs = await store.versionsOfSchema(id, { includeDeleted: false });
        if (!refs.some((r) => r.subject === subject)) throw registryErrors.schemaNotFound(id);
      }
      return schema;
    },

    async subjectsOfSchema(id, { includeDeleted }) {
      if (!(await store.schemaById(id))) throw registryErrors.schemaNotFound(id);
      return [...new Set((await store.versionsOfSchema(id, { includeDeleted })).map((r) => r.subject))];
    },

    async versionsOfSchema(id, { includeDeleted }) {
      if (!(await store.schemaById(id))) throw registryErrors.schemaNotFound(id);
      return store.versionsOfSchema(id, { includeDeleted });
    },

    async listSchemas(opts) {
      return (await store.listVersions(opts)).map(toEntity);
    },

    subjects: (opts) => store.subjects(opts),

    async versions(subject, { includeDeleted }) {
      const all = await store.versions(subject, { includeDeleted });
      if (all.length === 0) throw registryErrors.subjectNotFound(subject);
      return all.map((v) => v.version);
    },

    async version(subject, ref, { includeDeleted }) {
      return toEntity(await findVersion(subject, ref, includeDeleted));
    },

    async register(subject, request) {
      const parsed = parseSchema(request);
      // Fast path without the lock, as Confluent does: re-registering a live schema returns its id.
      if (request.version === undefined) {
        const same = await store.versionBySchema(subject, parsed, { includeDeleted: false });
        if (same && (request.id === undefined || request.id === same.id)) return { id: same.id };
      }
      return store.withSubjectLock(subject, async (q) => {
        const mode = await modeIn(q, subject);
        if (isReadOnly(mode)) throw registryErrors.operationNotPermitted(`Subject ${subject} is in read-only mode`);
        if (request.id !== undefined && mode !== 'IMPORT') throw registryErrors.operationNotPermitted(`Subject ${subject} is not in import mode`);
        if (request.id === undefined && mode !== 'READWRITE') throw registryErrors.operationNotPermitted(`Subject ${subject} is not in read-write mode`);

        const all = await q.versions(subject, { includeDeleted: true });
        const live = all.filter((v) => !v.deleted);
        const nextVersion = (all.at(-1)?.version ?? 0) + 1;
        const same = liveMatch(all, parsed);
        if (same && (request.id === undefined || request.id === same.id) && (request.version === undefined || request.version === same.version)) {
          return { id: same.id };
        }

        if (mode !== 'IMPORT') {
          if (request.version !== undefined && request.version !== nextVersion) {
            throw registryErrors.invalidSchema(`Version is not one more than previous version: the next version of subject ${subject} is ${nextVersion}`);
          }
          const level = await levelIn(q, subject);
          const previous: PreviousVersion[] = live.map((v) => ({ version: v.version, type: typeOf(v) }));
          const problems = checkCompatibility({ candidate: parsed.type, previous, level });
          if (problems.length > 0) throw registryErrors.incompatibleSchema(subject, problems);
        }

        const version = request.version ?? nextVersion;
        if (all.some((v) => v.version === version)) {
          throw registryErrors.operationNotPermitted(`Version ${version} of subject ${subject} already exists with another schema`);
        }
        const id = await schemaIdFor(q, parsed, request.id);
        // Confluent drops earlier soft-deleted versions of the same schema when it is registered again.
        await q.hardDeleteVersions(
          subject,
          all.filter((v) => v.deleted && v.id === id && v.version < version).map((v) => v.version),
        );
        await q.insertVersion({ subject, version, schemaId: id });
        return { id };
      });
    },

    async lookup(subject, request, { includeDeleted }) {
      const parsed = parseSchema(request);
      const match = await store.versionBySchema(subject, parsed, { includeDeleted });
      if (match) return toEntity(match);
      if (!(await store.hasVersions(subject, { includeDeleted }))) throw registryErrors.subjectNotFound(subject);
      throw registryErrors.schemaNotFound();
    },

    async deleteSubject(subject, { permanent }) {
      return store.withSubjectLock(subject, async (q) => {
        if (isReadOnly(await modeIn(q, subject))) throw registryErrors.operationNotPermitted(`Subject ${subject} is in read-only mode`);
        const all = await q.versions(subject, { includeDeleted: true });
        if (all.length === 0) throw registryErrors.subjectNotFound(subject);
        const live = all.filter((v) => !v.deleted).map((v) => v.version);
        if (permanent) {
          if (live.length > 0) throw registryErrors.subjectNotSoftDeleted(subject);
          const versions = all.map((v) => v.version);
          await q.hardDeleteVersions(subject, versions);
          return versions;
        }
        if (live.length === 0) throw registryErrors.subjectSoftDeleted(subject);
        await q.softDeleteVersions(subject, live);
        await q.deleteConfig(subject);
        await q.deleteMode(subject);
        return live;
      });
    },

    async deleteVersion(subject, ref, { permanent }) {
      return store.withSubjectLock(subject, async (q) => {
        if (isReadOnly(await modeIn(q, subject))) throw registryErrors.operationNotPermitted(`Subject ${subject} is in read-only mode`);
        const all = await q.versions(subject, { includeDeleted: true });
        if (all.length === 0) throw registryErrors.subjectNotFound(subject);
        const candidates = permanent ? all : all.filter((v) => !v.deleted);
        const target = ref === 'latest' ? (candidates.at(-1) ?? all.at(-1)) : all.find((v) => v.version === ref);
        if (!target) throw registryErrors.versionNotFound(ref);
        if (permanent) {
          if (!target.deleted) throw registryErrors.versionNotSoftDeleted(subject, target.version);
          await q.hardDeleteVersions(subject, [target.version]);
          return target.version;
        }
        if (target.deleted) throw registryErrors.versionSoftDeleted(subject, target.version);
        await q.softDeleteVersions(subject, [target.version]);
        if (!all.some((v) => !v.deleted && v.version !== target.version)) {
          // The subject is now empty: Confluent drops its config and mode with it.
          await q.deleteConfig(subject);
          await q.deleteMode(subject);
        }
        return target.version;
      });
    },

    async testCompatibility(subject, ref, request, { verbose }) {
      const parsed = parseSchema(request);
      const level = await levelIn(store, subject);
      let against: SubjectVersion[];
      if (ref === null) {
        against = await store.versions(subject, { includeDeleted: false });
      } else {
        const live = await store.versions(subject, { includeDeleted: false });
        if (live.length === 0 && ref !== 'latest') throw registryErrors.subjectNotFound(subject);
        const found = ref === 'latest' ? live.at(-1) : live.find((v) => v.version === ref);
        if (!found && ref !== 'latest') throw registryErrors.versionNotFound(ref);
        against = found ? [found] : [];
      }
      const problems = checkCompatibility({ candidate: parsed.type, previous: against.map((v) => ({ version: v.version, type: typeOf(v) })), level });
      return verbose ? { is_compatible: problems.length === 0, messages: problems } : { is_compatible: problems.length === 0 };
    },

    async getConfig(subject, { defaultToGlobal }) {
      if (subject === null) return (await store.getConfig(globalScope)) ?? defaultCompatibilityLevel;
      const own = await store.getConfig(subject);
      if (own) return own;
      if (!defaultToGlobal) throw registryErrors.subjectCompatibilityNotConfigured(subject);
      return (await store.getConfig(globalScope)) ?? defaultCompatibilityLevel;
    },

    async setConfig(subject, level) {
      await store.setConfig(subject ?? globalScope, level);
    },

    async deleteConfig(subject) {
      if (subject === null) return (await store.deleteConfig(globalScope)) ?? defaultCompatibilityLevel;
      const deleted = await store.deleteConfig(subject);
      if (!deleted) throw registryErrors.subjectNotFound(subject);
      return deleted;
    },

    async getMode(subject, { defaultToGlobal }) {
      if (subject === null) return (await store.getMode(globalScope)) ?? defaultMode;
      const own = await store.getMode(subject);
      if (own) return own;
      if (!defaultToGlobal) throw registryErrors.subjectModeNotConfigured(subject);
      return (await store.getMode(globalScope)) ?? defaultMode;
    },

    async setMode(subject, mode, { force }) {
      const scope = subject ?? globalScope;
      if (mode === 'IMPORT' && !force && (await store.hasVersions(scope, { includeDeleted: false }))) {
        throw registryErrors.operationNotPermitted(
          subject === null
            ? 'Cannot import since found existing subjects; set force=true to switch to IMPORT mode anyway'
            : `Cannot import since subject ${subject} has schemas; set force=true to switch to IMPORT mode anyway`,
        );
      }
      await store.setMode(scope, mode);
    },

    async deleteMode(subject) {
      if (subject === null) return (await store.deleteMode(globalScope)) ?? defaultMode;
      const deleted = await store.deleteMode(subject);
      if (!deleted) throw registryErrors.subjectNotFound(subject);
      return deleted;
    },
  };
}
