import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import type { DatasetSchema } from '../platform/schema-files.ts';
import type { Principal } from '../principals/types.ts';
import { HubError } from '../platform/errors.ts';
import { deadline, jurisdictions } from '../platform/calendar/jurisdictions.ts';
import { createRecordCoercer } from '../ingest/coerce.ts';
import { checkCatalogRules, fieldsOf, parseEntrySchema, type CatalogElements, type CatalogEntry } from './entry.ts';
import type { CatalogSearch, CatalogStore, EntryVersion } from './store.ts';
import type { DepartmentStore } from './departments.ts';
import { datasetIdPattern, rawTopic, valueSubject } from './naming.ts';
import { rawTopicGrants } from './department-grants.ts';

/** What a caller sends to create an entry; omitted elements take the defaults below. */
export type EntryInput = Partial<CatalogElements> & {
  dataset: string;
  provider?: string;
  /** The provider's own Avro schema; defaults to the hub's schema of the dataset in `schemas/`. */
  schema?: unknown;
  reason?: string;
};

export type EntryPatch = Partial<CatalogElements> & { schema?: unknown; reason: string; version?: number };

export type EntryListener = (entry: CatalogEntry) => void | Promise<void>;

export interface CatalogService {
  create(input: EntryInput, by: Principal): Promise<CatalogEntry>;
  update(id: string, patch: EntryPatch, by: Principal): Promise<CatalogEntry>;
  get(id: string): Promise<CatalogEntry>;
  search(q: CatalogSearch): Promise<{ total: number; entries: CatalogEntry[] }>;
  versions(id: string): Promise<EntryVersion[]>;
  /** The entry a department sends a dataset to; 404 if it has not declared it. */
  targetOf(provider: string, dataset: string): Promise<CatalogEntry>;
  schemaOf(entry: CatalogEntry): Promise<DatasetSchema>;
  onChange(listener: EntryListener): void;
}

const elementKeys = [
  'name', 'resourceCode', 'classificationCode', 'providerCode', 'summary', 'format', 'shareType', 'shareConditions', 'shareMethod',
  'legalBasis', 'openType', 'updateCycle', 'publishedOn', 'relatedResources', 'usageRequirements', 'sample', 'grade', 'authoritativeFields',
] as const satisfies readonly (keyof CatalogElements)[];

function pickElements(input: Partial<CatalogElements>): Partial<CatalogElements> {
  const out: Partial<CatalogElements> = {};
  for (const k of elementKeys) if (input[k] !== undefined) (out as Record<string, unknown>)[k] = input[k];
  return out;
}

export function createCatalogService(deps: {
  config: HubConfig;
  log: Logger;
  store: CatalogStore;
  departments: DepartmentStore;
  admin: HubAdmin;
  registry: RegistryClient;
  /** The hub's dataset schemas by dataset id. */
  schemas: ReadonlyMap<string, DatasetSchema>;
}): CatalogService {
  const { config, store, departments, admin, registry, schemas } = deps;
  const log = deps.log.child({ module: 'catalog' });
  const listeners: EntryListener[] = [];
  const profile = jurisdictions[config.jurisdiction];
  const parsedByText = new Map<string, DatasetSchema>();

  const notFound = (id: string) => new HubError('HUB_ERR_NOT_FOUND', `no catalog entry "${id}"`);

  function mayChange(entry: { provider: string }, by: Principal): void {
    if (by.role === 'authority') return;
    if (by.role === 'department' && by.name === entry.provider) return;
    throw new HubError('HUB_ERR_FORBIDDEN', `only the data authority or the provider "${entry.provider}" may change its catalog entries`);
  }

  function checkSample(elements: CatalogElements, schema: DatasetSchema): void {
    if (!elements.sample) return;
    const result = createRecordCoercer(schema.json).coerce(elements.sample);
    if (!result.ok) {
      throw new HubError('HUB_ERR_UNPROCESSABLE', `the data sample does not match the schema: ${result.errors.map((e) => `${e.field}: ${e.reason}`).join('; ')}`, { details: result.errors });
    }
  }

  /** One authority per field and dataset: two providers cannot both be the source of record. */
  async function checkAuthority(dataset: string, provider: string, fields: readonly string[]): Promise<void> {
    if (fields.length === 0) return;
    const { entries } = await store.search({ dataset, limit: 500, offset: 0 });
    for (const other of entries) {
      if (other.provider === provider) continue;
      const clash = other.authoritativeFields.filter((f) => fields.includes(f));
      if (clash.length > 0) {
        throw new HubError('HUB_ERR_CONFLICT', `${other.provider} is already the authoritative source of ${dataset} ${clash.join(', ')}: the authority must change that entry first (一数一源)`);
      }
    }
  }

  function change(kind: 'created' | 'updated', by: Principal, reason: string) {
    return { kind, by: by.name, reason, jurisdiction: profile.id, deadline: deadline(profile.catalogChange, new Date()), deadlineBasis: profile.catalogChange.basis };
  }

  async function notify(entry: CatalogEntry): Promise<void> {
    for (const l of listeners) {
      try {
        await l(entry);
      } catch (err) {
        log.warn({ err, entry: entry.id }, 'catalog listener failed');
      }
    }
  }

  async function schemaOf(entry: CatalogEntry): Promise<DatasetSchema> {
    const { schema } = await registry.latest(entry.subject);
    const cached = parsedByText.get(schema);
    if (cached) return cached;
    const parsed = parseEntrySchema(entry.dataset, schema);
    parsedByText.set(schema, parsed);
    return parsed;
  }

  return {
    async create(input, by) {
      const dataset = input.dataset;
      if (typeof dataset !== 'string' || !datasetIdPattern.test(dataset)) {
        throw new HubError('HUB_ERR_VALIDATION', `dataset must look like base.natural_person or theme.tax_credit_rating, got ${JSON.stringify(dataset)}`);
      }
      const provider = by.role === 'department' ? by.name : input.provider;
      if (!provider) throw new HubError('HUB_ERR_VALIDATION', 'provider is required: the department that provides the dataset');
      if (by.role === 'department' && input.provider && input.provider !== by.name) {
        throw new HubError('HUB_ERR_FORBIDDEN', `department "${by.name}" may only declare its own datasets, not "${input.provider}"'s`);
      }
      mayChange({ provider }, by);
      const department = await departments.byName(provider);
      if (!department) throw new HubError('HUB_ERR_UNPROCESSABLE', `provider "${provider}" is not an onboarded department`);
      const schema = input.schema === undefined ? schemas.get(dataset) : parseEntrySchema(dataset, input.schema);
      if (!schema) throw new HubError('HUB_ERR_UNPROCESSABLE', `the hub has no schema for ${dataset} in schemas/: send the dataset's Avro schema as "schema"`);
      const topic = rawTopic(provider, dataset);
      const id = input.resourceCode ?? `${provider}.${dataset}`;
      const topGrade = Math.max(...schema.fields.map((f) => f.grade));
      const elements: CatalogElements = {
        name: input.name ?? schema.json.doc,
        resourceCode: id,
        classificationCode: input.classificationCode ?? (schema.layer === 'base' ? '1' : '2'),
        providerCode: input.providerCode ?? department.code ?? provider,
        summary: input.summary ?? schema.json.doc,
        format: input.format ?? 'avro',
        shareType: input.shareType ?? 'unconditional',
        shareConditions: input.shareConditions ?? null,
        shareMethod: input.shareMethod ?? 'subscription',
        legalBasis: input.legalBasis ?? null,
        openType: input.openType ?? 'not_open',
        updateCycle: input.updateCycle ?? 'daily',
        publishedOn: input.publishedOn ?? new Date().toISOString().slice(0, 10),
        relatedResources: input.relatedResources ?? [],
        usageRequirements: input.usageRequirements ?? null,
        sample: input.sample ?? null,
        grade: input.grade ?? topGrade,
        authoritativeFields: input.authoritativeFields ?? [],
      };
      checkCatalogRules(elements, schema);
      checkSample(elements, schema);
      await checkAuthority(dataset, provider, elements.authoritativeFields);
      if ((await store.byId(id)) || (await store.byProviderDataset(provider, dataset))) {
        throw new HubError('HUB_ERR_CONFLICT', `${provider} has already declared ${dataset} (entry ${id}): change it with PUT instead`);
      }
      const subject = valueSubject(topic);
      const schemaId = await registry.register(subject, schema.text);
      await admin.ensureTopics([{ name: topic, partitions: config.catalog.rawTopicPartitions }]);
      await admin.grant(rawTopicGrants(provider, topic));
      let entry: CatalogEntry;
      try {
        entry = await store.save({ id, dataset, provider, topic, subject, schemaId, elements, fields: fieldsOf(schema), change: change('created', by, input.reason ?? 'declared') }, null);
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new HubError('HUB_ERR_CONFLICT', `entry ${id} already exists`);
        throw err;
      }
      log.info({ entry: id, topic, schemaId, by: by.name }, 'catalog entry created');
      await notify(entry);
      return entry;
    },

    async update(id, patch, by) {
      const current = await store.byId(id);
      if (!current) throw notFound(id);
      mayChange(current, by);
      if (!patch.reason?.trim()) throw new HubError('HUB_ERR_VALIDATION', 'say why the entry changes: "reason" is required');
      if (patch.version !== undefined && patch.version !== current.version) {
        throw new HubError('HUB_ERR_CONFLICT', `entry ${id} is at version ${current.version}, not ${patch.version}: reload it and apply the change again`);
      }
      const schema = patch.schema === undefined ? await schemaOf(current) : parseEntrySchema(current.dataset, patch.schema);
      const { fields: _f, id: _i, dataset: _d, provider: _p, topic: _t, subject: _s, schemaId: _sid, version: _v, createdAt: _c, updatedAt: _u, ...currentElements } = current;
      const elements: CatalogElements = { ...currentElements, ...pickElements(patch), resourceCode: current.resourceCode };
      checkCatalogRules(elements, schema);
      await checkAuthority(current.dataset, current.provider, elements.authoritativeFields);
      checkSample(elements, schema);
      // The registry's compatibility check decides whether a schema change is allowed (409 if not).
      const schemaId = patch.schema === undefined ? current.schemaId : await registry.register(current.subject, schema.text);
      try {
        const entry = await store.save(
          { id, dataset: current.dataset, provider: current.provider, topic: current.topic, subject: current.subject, schemaId, elements, fields: fieldsOf(schema), change: change('updated', by, patch.reason) },
          current.version,
        );
        log.info({ entry: id, version: entry.version, schemaId, by: by.name }, 'catalog entry updated');
        await notify(entry);
        return entry;
      } catch (err) {
        if ((err as { code?: string }).code === 'HUB_VERSION_CONFLICT') throw new HubError('HUB_ERR_CONFLICT', `entry ${id} changed meanwhile: reload it and apply the change again`);
        throw err;
      }
    },

    async get(id) {
      const entry = await store.byId(id);
      if (!entry) throw notFound(id);
      return entry;
    },
    search: (q) => store.search(q),
    async versions(id) {
      const versions = await store.versions(id);
      if (versions.length === 0) throw notFound(id);
      return versions;
    },
    async targetOf(provider, dataset) {
      const entry = await store.byProviderDataset(provider, dataset);
      if (!entry) throw new HubError('HUB_ERR_NOT_FOUND', `${provider} has not declared ${dataset} in the catalog: declare it with POST /api/v1/catalog first`);
      return entry;
    },
    schemaOf,
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
