import type { QueryResult, QueryResultRow } from 'pg';
import { withTransaction, type Pool } from '../platform/db/pool.ts';
import { asStoreError, registryErrors } from './registry-error.ts';
import type { CompatibilityLevel, Mode, SchemaType, StoredSchema, SubjectVersion } from './types.ts';

/** Subject key of the global config and mode rows. */
export const globalScope = '';

// Advisory lock namespaces (two-int form): one lock per subject, one for allocating schema ids.
const subjectLockSpace = 727_002;
const schemaIdLockSpace = 727_003;

interface Db {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

interface SchemaRow {
  id: number;
  schema_type: SchemaType;
  schema: string;
  fingerprint: string;
}

interface VersionRow extends SchemaRow {
  subject: string;
  version: number;
  deleted: boolean;
}

const toSchema = (r: SchemaRow): StoredSchema => ({ id: r.id, schemaType: r.schema_type, schema: r.schema, fingerprint: r.fingerprint });
const toVersion = (r: VersionRow): SubjectVersion => ({ ...toSchema(r), subject: r.subject, version: r.version, deleted: r.deleted });

const versionColumns = 'v.subject, v.version, v.deleted, s.id, s.schema_type, s.schema, s.fingerprint';
const versionJoin = 'registry_subject_versions v JOIN registry_schemas s ON s.id = v.schema_id';

export interface NewSchema {
  schemaType: SchemaType;
  schema: string;
  canonical: string;
  fingerprint: string;
}

export interface RegistryQueries {
  schemaById(id: number): Promise<StoredSchema | null>;
  schemaByFingerprint(schemaType: SchemaType, fingerprint: string): Promise<StoredSchema | null>;
  /** Holds the schema-id lock until the transaction ends: new ids are handed out one writer at a time. */
  lockSchemaIds(): Promise<void>;
  /** Inserts a schema with the next id, or with `id` (IMPORT mode), keeping the id sequence ahead of it. */
  insertSchema(schema: NewSchema, id?: number): Promise<number>;
  /** Versions of a subject, ascending. */
  versions(subject: string, opts: { includeDeleted: boolean }): Promise<SubjectVersion[]>;
  /** The newest version of the subject holding this schema. */
  versionBySchema(subject: string, schema: { schemaType: SchemaType; fingerprint: string }, opts: { includeDeleted: boolean }): Promise<SubjectVersion | null>;
  insertVersion(v: { subject: string; version: number; schemaId: number }): Promise<void>;
  softDeleteVersions(subject: string, versions: readonly number[]): Promise<void>;
  hardDeleteVersions(subject: string, versions: readonly number[]): Promise<void>;
  subjects(opts: { includeDeleted: boolean; prefix: string }): Promise<string[]>;
  /** Every subject version, or only each subject's latest, ordered by subject and version. */
  listVersions(opts: { includeDeleted: boolean; prefix: string; latestOnly: boolean }): Promise<SubjectVersion[]>;
  versionsOfSchema(id: number, opts: { includeDeleted: boolean }): Promise<Array<{ subject: string; version: number }>>;
  /** True if the subject (or, for globalScope, any subject) has a version; soft-deleted ones count if includeDeleted. */
  hasVersions(subject: string, opts: { includeDeleted: boolean }): Promise<boolean>;
  /** `subject` is a subject name or globalScope. */
  getConfig(subject: string): Promise<CompatibilityLevel | null>;
  setConfig(subject: string, level: CompatibilityLevel): Promise<void>;
  deleteConfig(subject: string): Promise<CompatibilityLevel | null>;
  getMode(subject: string): Promise<Mode | null>;
  setMode(subject: string, mode: Mode): Promise<void>;
  deleteMode(subject: string): Promise<Mode | null>;
}

export interface RegistryStore extends RegistryQueries {
  /**
   * Runs fn in one transaction holding the subject's advisory lock, so concurrent writers to one
   * subject (in this process or another hub instance) are serialised.
   */
  withSubjectLock<T>(subject: string, fn: (q: RegistryQueries) => Promise<T>): Promise<T>;
}

function queries(db: Db): RegistryQueries {
  const rows = async <R extends QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> => {
    try {
      return (await db.query<R>(sql, params)).rows;
    } catch (err) {
      throw registryErrors.store(err);
    }
  };
  const first = async <R extends QueryResultRow>(sql: string, params: unknown[] = []): Promise<R | null> => (await rows<R>(sql, params))[0] ?? null;

  return {
    async schemaById(id) {
      const r = await first<SchemaRow>('SELECT id, schema_type, schema, fingerprint FROM registry_schemas WHERE id = $1', [id]);
      return r ? toSchema(r) : null;
    },
    async schemaByFingerprint(schemaType, fingerprint) {
      const r = await first<SchemaRow>('SELECT id, schema_type, schema, fingerprint FROM registry_schemas WHERE schema_type = $1 AND fingerprint = $2', [
        schemaType,
        fingerprint,
      ]);
      return r ? toSchema(r) : null;
    },
    async lockSchemaIds() {
      await rows('SELECT pg_advisory_xact_lock($1, 0)', [schemaIdLockSpace]);
    },
    async insertSchema({ schemaType, schema, canonical, fingerprint }, id) {
      if (id === undefined) {
        const r = await first<{ id: number }>(
          'INSERT INTO registry_schemas (schema_type, schema, canonical, fingerprint) VALUES ($1, $2, $3, $4) RETURNING id',
          [schemaType, schema, canonical, fingerprint],
        );
        return (r as { id: number }).id;
      }
      await rows('INSERT INTO registry_schemas (id, schema_type, schema, canonical, fingerprint) VALUES ($1, $2, $3, $4, $5)', [
        id,
        schemaType,
        schema,
        canonical,
        fingerprint,
      ]);
      await rows(
        `SELECT setval(seq, $1) FROM (SELECT pg_get_serial_sequence('registry_schemas', 'id')::regclass AS seq) s
          WHERE $1 > COALESCE(pg_sequence_last_value(seq), 0)`,
        [id],
      );
      return id;
    },
    async versions(subject, { includeDeleted }) {
      const r = await rows<VersionRow>(`SELECT ${versionColumns} FROM ${versionJoin} WHERE v.subject = $1 AND ($2 OR NOT v.deleted) ORDER BY v.version`, [
        subject,
        includeDeleted,
      ]);
      return r.map(toVersion);
    },
    async versionBySchema(subject, { schemaType, fingerprint }, { includeDeleted }) {
      const r = await first<VersionRow>(
        `SELECT ${versionColumns} FROM ${versionJoin}
          WHERE v.subject = $1 AND ($2 OR NOT v.deleted) AND s.schema_type = $3 AND s.fingerprint = $4
          ORDER BY v.version DESC LIMIT 1`,
        [subject, includeDeleted, schemaType, fingerprint],
      );
      return r ? toVersion(r) : null;
    },
    async insertVersion({ subject, version, schemaId }) {
      await rows('INSERT INTO registry_subject_versions (subject, version, schema_id) VALUES ($1, $2, $3)', [subject, version, schemaId]);
    },
    async softDeleteVersions(subject, versions) {
      await rows('UPDATE registry_subject_versions SET deleted = true WHERE subject = $1 AND version = ANY($2::int[])', [subject, versions]);
    },
    async hardDeleteVersions(subject, versions) {
      await rows('DELETE FROM registry_subject_versions WHERE subject = $1 AND version = ANY($2::int[])', [subject, versions]);
    },
    async subjects({ includeDeleted, prefix }) {
      const r = await rows<{ subject: string }>(
        'SELECT DISTINCT subject FROM registry_subject_versions WHERE ($1 OR NOT deleted) AND starts_with(subject, $2) ORDER BY subject',
        [includeDeleted, prefix],
      );
      return r.map((x) => x.subject);
    },
    async listVersions({ includeDeleted, prefix, latestOnly }) {
      const where = 'WHERE ($1 OR NOT v.deleted) AND starts_with(v.subject, $2)';
      const sql = latestOnly
        ? `SELECT DISTINCT ON (v.subject) ${versionColumns} FROM ${versionJoin} ${where} ORDER BY v.subject, v.version DESC`
        : `SELECT ${versionColumns} FROM ${versionJoin} ${where} ORDER BY v.subject, v.version`;
      return (await rows<VersionRow>(sql, [includeDeleted, prefix])).map(toVersion);
    },
    async versionsOfSchema(id, { includeDeleted }) {
      return rows<{ subject: string; version: number }>(
        'SELECT subject, version FROM registry_subject_versions WHERE schema_id = $1 AND ($2 OR NOT deleted) ORDER BY subject, version',
        [id, includeDeleted],
      );
    },
    async hasVersions(subject, { includeDeleted }) {
      const r = await first<{ found: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM registry_subject_versions WHERE ($2 OR NOT deleted) AND ($1 = '' OR subject = $1)) AS found`,
        [subject, includeDeleted],
      );
      return r?.found ?? false;
    },
    async getConfig(subject) {
      return (
        (await first<{ compatibility: CompatibilityLevel }>('SELECT compatibility FROM registry_configs WHERE subject = $1', [subject]))?.compatibility ?? null
      );
    },
    async setConfig(subject, level) {
      await rows(
        `INSERT INTO registry_configs (subject, compatibility) VALUES ($1, $2)
         ON CONFLICT (subject) DO UPDATE SET compatibility = EXCLUDED.compatibility, updated_at = now()`,
        [subject, level],
      );
    },
    async deleteConfig(subject) {
      return (
        (await first<{ compatibility: CompatibilityLevel }>('DELETE FROM registry_configs WHERE subject = $1 RETURNING compatibility', [subject]))
          ?.compatibility ?? null
      );
    },
    async getMode(subject) {
      return (await first<{ mode: Mode }>('SELECT mode FROM registry_modes WHERE subject = $1', [subject]))?.mode ?? null;
    },
    async setMode(subject, mode) {
      await rows(
        `INSERT INTO registry_modes (subject, mode) VALUES ($1, $2)
         ON CONFLICT (subject) DO UPDATE SET mode = EXCLUDED.mode, updated_at = now()`,
        [subject, mode],
      );
    },
    async deleteMode(subject) {
      return (await first<{ mode: Mode }>('DELETE FROM registry_modes WHERE subject = $1 RETURNING mode', [subject]))?.mode ?? null;
    },
  };
}

/** Every SQL statement of the registry. Failures of Postgres surface as RegistryError 50001. */
export function createRegistryStore({ pool }: { pool: Pool }): RegistryStore {
  return {
    ...queries(pool),
    async withSubjectLock(subject, fn) {
      try {
        return await withTransaction(pool, async (client) => {
          await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [subjectLockSpace, subject]);
          return fn(queries(client));
        });
      } catch (err) {
        throw asStoreError(err);
      }
    },
  };
}
