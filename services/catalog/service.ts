import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import type { DatasetSchema } from '../contract/dataset-schema.ts';
import type { Principal } from '../principals/types.ts';
import type { AuditLog } from '../audit/log.ts';
import { HubError } from '../platform/errors.ts';
import { deadline, jurisdictions } from '../platform/calendar/jurisdictions.ts';
import { createRecordCoercer } from '../contract/coerce.ts';
import { checkCatalogRules, fieldsOf, parseEntrySchema, type CatalogElements, type CatalogEntry } from './entry.ts';
import type { CatalogSearch, CatalogStore, EntryVersion } from './store.ts';
import type { Pool } from '../platform/db/pool.ts';
import { withTransaction } from '../platform/db/pool.ts';
import { contractDifferences, evolutionProblems, gradeFloorProblems, type Contract, type ContractStore } from './contracts.ts';
import type { DepartmentStore } from './departments.ts';
import { datasetIdPattern, entryId, rawTopic, valueSubject } from '../contract/names.ts';
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
  /** Every active entry (providers whose records are accepted). */
  active(): Promise<CatalogEntry[]>;
  versions(id: string): Promise<EntryVersion[]>;
  /** The entry a department sends a dataset to; 404 if it has not declared it. */
  targetOf(provider: string, dataset: string): Promise<CatalogEntry>;
  schemaOf(entry: CatalogEntry): Promise<DatasetSchema>;
  /** The dataset's contract schema: what masking, verification and sharing read grades and fields from. */
  contractOf(dataset: string): Promise<DatasetSchema>;
  contract(dataset: string): Promise<Contract>;
  /** The authority approves (naming per field the one authoritative provider) or refuses a pending provider. */
  enrol(id: string, decision: EnrolDecision, by: Principal): Promise<CatalogEntry>;
  /** The authority names the authoritative provider of each field of a dataset (一数一源). */
  setAuthorities(dataset: string, authorities: Record<string, string>, reason: string, by: Principal): Promise<Contract>;
  onChange(listener: EntryListener): void;
}

export interface EnrolDecision {
  approve: boolean;
  /** field → provider; merged into the contract's authorities on approval. */
  authorities?: Record<string, string>;
  reason?: string;
}

const elementKeys = [
  'name',
  'resourceCode',
  'classificationCode',
  'providerCode',
  'summary',
  'format',
  'shareType',
  'shareConditions',
  'shareMethod',
  'legalBasis',
  'openType',
  'updateCycle',
  'publishedOn',
  'relatedResources',
  'usageRequirements',
  'sample',
  'grade',
  'authoritativeFields',
] as const satisfies readonly (keyof CatalogElements)[];

function pickElements(input: Partial<CatalogElements>): Partial<CatalogElements> {
  const out: Partial<CatalogElements> = {};
  for (const k of elementKeys) if (input[k] !== undefined) (out as Record<string, unknown>)[k] = input[k];
  return out;
}

export function createCatalogService(deps: {
  config: HubConfig;
  log: Logger;
  pool: Pool;
  store: CatalogStore;
  contracts: ContractStore;
  departments: DepartmentStore;
  admin: HubAdmin;
  registry: RegistryClient;
  /** The hub's dataset schemas by dataset id. */
  schemas: ReadonlyMap<string, DatasetSchema>;
  /** Every declaration, change, enrolment decision and change of field authorities is audited. */
  audit?: AuditLog;
}): CatalogService {
  const { config, pool, store, contracts, departments, admin, registry, schemas } = deps;
  const act = async (by: Principal, action: string, dataset: string, provider: string | null, detail: Record<string, unknown>) => {
    await deps.audit?.append(pool, { actor: by.name, actorRole: by.role, action, method: 'api', subjectProvider: provider, datasets: [dataset], detail });
  };
  const log = deps.log.child({ module: 'catalog' });
  const listeners: EntryListener[] = [];
  const profile = jurisdictions[config.jurisdiction];
  const parsedByText = new Map<string, DatasetSchema>();

  const notFound = (id: string) => new HubError('HUB_ERR_NOT_FOUND', `no catalog entry "${id}"`);
  const forbidden = (message: string) => new HubError('HUB_ERR_FORBIDDEN', message);
  const unprocessable = (message: string) => new HubError('HUB_ERR_UNPROCESSABLE', message);

  function mayChange(entry: { provider: string }, by: Principal): void {
    if (by.role === 'authority') return;
    if (by.role === 'department' && by.name === entry.provider) return;
    throw forbidden(`only the data authority or the provider "${entry.provider}" may change its catalog entries`);
  }

  function checkSample(elements: CatalogElements, schema: DatasetSchema): void {
    if (!elements.sample) return;
    const result = createRecordCoercer(schema.json).coerce(elements.sample);
    if (!result.ok) {
      throw new HubError(
        'HUB_ERR_UNPROCESSABLE',
        `the data sample does not match the schema: ${result.errors.map((e) => `${e.field}: ${e.reason}`).join('; ')}`,
        { details: result.errors },
      );
    }
  }

  function parsed(dataset: string, text: string): DatasetSchema {
    const cached = parsedByText.get(text);
    if (cached) return cached;
    const schema = parseEntrySchema(dataset, text);
    parsedByText.set(text, schema);
    return schema;
  }

  async function contract(dataset: string): Promise<Contract> {
    const c = await contracts.get(dataset);
    if (!c) throw new HubError('HUB_ERR_NOT_FOUND', `no catalog entry provides ${dataset}`);
    return c;
  }

  /** Every provider named is one of the dataset's (active, or the one being enrolled), every field is the contract's. */
  async function checkAuthorities(dataset: string, schema: DatasetSchema, authorities: Record<string, string>, enrolling?: string): Promise<void> {
    const names = new Set(schema.fields.map((f) => f.name));
    const unknown = Object.keys(authorities).filter((f) => !names.has(f));
    if (unknown.length > 0) throw unprocessable(`${dataset} has no fields ${unknown.join(', ')}`);
    const { entries } = await store.search({ dataset, limit: 500, offset: 0 });
    const providers = new Set([...entries.map((e) => e.provider), ...(enrolling ? [enrolling] : [])]);
    const strangers = [...new Set(Object.values(authorities))].filter((p) => !providers.has(p));
    if (strangers.length > 0)
      throw unprocessable(`${strangers.join(', ')} does not provide ${dataset}: only an enrolled provider can be a field's authoritative source`);
  }

  function change(kind: 'created' | 'updated', by: Principal, reason: string) {
    return {
      kind,
      by: by.name,
      reason,
      jurisdiction: profile.id,
      deadline: deadline(profile.catalogChange, new Date()),
      deadlineBasis: profile.catalogChange.basis,
    };
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
    return parsed(entry.dataset, schema);
  }

  async function contractOf(dataset: string): Promise<DatasetSchema> {
    const c = await contract(dataset);
    return parsed(dataset, c.schema);
  }

  /**
   * The schema a declaration registers: the first declaration fixes the contract (its own schema,
   * never below the grades of the hub's file in schemas/, or that file); a later one is the contract.
   */
  function declaredSchema(dataset: string, input: EntryInput, existing: Contract | null): DatasetSchema {
    const file = schemas.get(dataset);
    const own = input.schema === undefined ? null : parseEntrySchema(dataset, input.schema);
    if (existing) {
      const current = parsed(dataset, existing.schema);
      if (own) {
        const differences = contractDifferences(current, own);
        if (differences.length > 0) {
          throw unprocessable(
            `${dataset} has a contract (owner ${existing.owner}, version ${existing.version}); a provider declares against it exactly, but this schema ${differences.join('; ')}. Omit "schema" to use the contract`,
          );
        }
      }
      return current;
    }
    if (!own) {
      if (!file) throw unprocessable(`the hub has no schema for ${dataset} in schemas/: send the dataset's Avro schema as "schema"`);
      return file;
    }
    const problems = gradeFloorProblems(file, own);
    if (problems.length > 0)
      throw unprocessable(`${dataset} is defined in the hub's schemas/; a declared schema may not grade it lower: it ${problems.join('; ')}`);
    return own;
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
        throw forbidden(`department "${by.name}" may only declare its own datasets, not "${input.provider}"'s`);
      }
      mayChange({ provider }, by);
      const department = await departments.byName(provider);
      if (!department) throw new HubError('HUB_ERR_UNPROCESSABLE', `provider "${provider}" is not an onboarded department`);
      const id = entryId(provider, dataset);
      if (input.resourceCode !== undefined && input.resourceCode !== id) {
        throw new HubError(
          'HUB_ERR_VALIDATION',
          `the resource code of ${provider}'s ${dataset} is "${id}": resource codes are <provider>.<dataset>, one per provider and dataset`,
        );
      }
      const existing = await contracts.get(dataset);
      const schema = declaredSchema(dataset, input, existing);
      // A department joining a dataset someone already provides waits for the authority (一数一源).
      const status = existing && by.role !== 'authority' ? 'pending' : 'active';
      const requested = input.authoritativeFields ?? [];
      const topic = rawTopic(provider, dataset);
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
        authoritativeFields: requested,
      };
      checkCatalogRules(elements, schema);
      checkSample(elements, schema);
      const claimed = existing ? requested.filter((f) => existing.authorities[f] !== undefined && existing.authorities[f] !== provider) : [];
      if (status === 'active' && claimed.length > 0) {
        throw new HubError(
          'HUB_ERR_CONFLICT',
          `${claimed.map((f) => `${f} (${existing!.authorities[f]})`).join(', ')} already have an authoritative source: the authority must change that first (一数一源)`,
        );
      }
      if ((await store.byId(id)) || (await store.byProviderDataset(provider, dataset))) {
        throw new HubError('HUB_ERR_CONFLICT', `${provider} has already declared ${dataset} (entry ${id}): change it with PUT instead`);
      }
      const subject = valueSubject(topic);
      const schemaId = await registry.register(subject, schema.text);
      await admin.ensureTopics([{ name: topic, partitions: config.catalog.rawTopicPartitions }]);
      const grants = rawTopicGrants(provider, topic);
      let granted = false;
      let entry: CatalogEntry;
      try {
        entry = await withTransaction(pool, async (client) => {
          const own = Object.fromEntries(requested.map((f) => [f, provider]));
          if (!existing) {
            if (!(await contracts.insert(client, { dataset, owner: provider, schemaId, schema: schema.text, authorities: own, by: by.name }))) {
              throw new HubError('HUB_ERR_CONFLICT', `${dataset} was declared by another department meanwhile: declare it again to join its contract`);
            }
          } else if (status === 'active' && requested.length > 0) {
            const now = (await contracts.get(dataset, client))!;
            await contracts.setAuthorities(client, dataset, { ...now.authorities, ...own }, by.name);
          }
          const enrolment = status === 'pending' ? { requestedAuthoritativeFields: requested, decidedBy: null, decidedAt: null, reason: null } : null;
          const saved = await store.save(
            {
              id,
              dataset,
              provider,
              topic,
              subject,
              schemaId,
              elements,
              fields: fieldsOf(schema),
              status,
              enrolment,
              change: change('created', by, input.reason ?? 'declared'),
            },
            null,
            client,
          );
          // Rights only for a declaration that is about to commit; a pending provider gets none.
          if (status === 'active') {
            await admin.grant(grants);
            granted = true;
          }
          return saved;
        });
      } catch (err) {
        if (granted) await admin.revoke(grants).catch(() => undefined);
        if ((err as { code?: string }).code === '23505') throw new HubError('HUB_ERR_CONFLICT', `entry ${id} already exists`);
        throw err;
      }
      log.info({ entry: id, topic, schemaId, status, by: by.name }, 'catalog entry created');
      await act(by, 'catalog.declared', dataset, provider, {
        entry: id,
        status,
        schemaId,
        contractOwner: existing?.owner ?? provider,
        reason: input.reason ?? null,
      });
      if (status === 'active') await notify(entry);
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
      if (patch.resourceCode !== undefined && patch.resourceCode !== current.resourceCode)
        throw new HubError('HUB_ERR_VALIDATION', `the resource code of entry ${id} is "${current.resourceCode}" and does not change`);
      const c = await contract(current.dataset);
      const before = parsed(current.dataset, c.schema);
      let schema = before;
      if (patch.schema !== undefined) {
        if (by.role !== 'authority' && !(by.name === c.owner && current.provider === c.owner)) {
          throw forbidden(`the contract of ${current.dataset} belongs to ${c.owner}: only its owner or the data authority evolves it`);
        }
        if (current.status !== 'active')
          throw new HubError('HUB_ERR_CONFLICT', `entry ${id} is ${current.status}: a contract evolves through an active provider`);
        schema = parseEntrySchema(current.dataset, patch.schema);
        const problems = evolutionProblems(before, schema, schemas.get(current.dataset));
        if (problems.length > 0)
          throw unprocessable(
            `an evolution of the ${current.dataset} contract may add fields and raise grades, never drop fields or lower grades; this schema ${problems.join('; ')}`,
          );
      }
      const requested = patch.authoritativeFields;
      const authoritiesChange = requested !== undefined && [...requested].sort().join(',') !== [...current.authoritativeFields].sort().join(',');
      if (authoritiesChange && by.role !== 'authority') {
        throw forbidden("only the data authority names the authoritative source of a field (一数一源): ask it to change the contract's authorities");
      }
      const {
        fields: _f,
        id: _i,
        dataset: _d,
        provider: _p,
        topic: _t,
        subject: _s,
        schemaId: _sid,
        version: _v,
        createdAt: _c,
        updatedAt: _u,
        status: _st,
        enrolment: _e,
        ...currentElements
      } = current;
      const elements: CatalogElements = { ...currentElements, ...pickElements(patch), resourceCode: current.resourceCode };
      checkCatalogRules(elements, schema);
      checkSample(elements, schema);
      let nextAuthorities: Record<string, string> | null = null;
      if (authoritiesChange) {
        nextAuthorities = Object.fromEntries(Object.entries(c.authorities).filter(([, p]) => p !== current.provider));
        const taken = requested!.filter((f) => nextAuthorities![f] !== undefined);
        if (taken.length > 0)
          throw new HubError(
            'HUB_ERR_CONFLICT',
            `${taken.map((f) => `${f} (${nextAuthorities![f]})`).join(', ')} already have an authoritative source: change it with PUT /api/v1/contracts/${current.dataset}/authorities (一数一源)`,
          );
        for (const f of requested!) nextAuthorities[f] = current.provider;
      }
      let schemaId = current.schemaId;
      if (patch.schema !== undefined) {
        // The registry's compatibility check decides (409 if not); every provider of the dataset moves to the new contract.
        schemaId = await registry.register(current.subject, schema.text);
        const { entries } = await store.search({ dataset: current.dataset, status: 'any', limit: 500, offset: 0 });
        for (const other of entries) if (other.id !== current.id) await registry.register(other.subject, schema.text);
      }
      try {
        const entry = await withTransaction(pool, async (client) => {
          if (patch.schema !== undefined) await contracts.evolve(client, current.dataset, { schemaId, schema: schema.text, by: by.name });
          if (nextAuthorities) await contracts.setAuthorities(client, current.dataset, nextAuthorities, by.name);
          return store.save(
            {
              id,
              dataset: current.dataset,
              provider: current.provider,
              topic: current.topic,
              subject: current.subject,
              schemaId,
              elements,
              fields: fieldsOf(schema),
              change: change('updated', by, patch.reason),
            },
            current.version,
            client,
          );
        });
        log.info({ entry: id, version: entry.version, schemaId, by: by.name }, 'catalog entry updated');
        await act(by, patch.schema === undefined ? 'catalog.changed' : 'catalog.contract_evolved', current.dataset, current.provider, {
          entry: id,
          version: entry.version,
          schemaId,
          changed: Object.keys(pickElements(patch)),
          reason: patch.reason,
        });
        await notify(entry);
        return entry;
      } catch (err) {
        if ((err as { code?: string }).code === 'HUB_VERSION_CONFLICT')
          throw new HubError('HUB_ERR_CONFLICT', `entry ${id} changed meanwhile: reload it and apply the change again`);
        throw err;
      }
    },

    async enrol(id, { approve, authorities = {}, reason }, by) {
      if (by.role !== 'authority') throw forbidden('only the data authority enrols a provider');
      const entry = await store.byId(id);
      if (!entry) throw notFound(id);
      if (entry.status !== 'pending') throw new HubError('HUB_ERR_CONFLICT', `entry ${id} is ${entry.status}, not waiting for enrolment`);
      const decided = {
        requestedAuthoritativeFields: entry.enrolment?.requestedAuthoritativeFields ?? [],
        decidedBy: by.name,
        decidedAt: new Date().toISOString(),
        reason: reason ?? null,
      };
      if (!approve) {
        if (!reason?.trim()) throw new HubError('HUB_ERR_VALIDATION', 'a refused enrolment states its reason');
        const refused = await store.setEnrolment(id, 'refused', decided);
        if (!refused) throw new HubError('HUB_ERR_CONFLICT', `entry ${id} was decided meanwhile`);
        await act(by, 'catalog.enrolment_refused', entry.dataset, entry.provider, { entry: id, reason });
        return refused;
      }
      const c = await contract(entry.dataset);
      await checkAuthorities(entry.dataset, parsed(entry.dataset, c.schema), authorities, entry.provider);
      const grants = rawTopicGrants(entry.provider, entry.topic);
      let granted = false;
      let approved: CatalogEntry;
      try {
        approved = await withTransaction(pool, async (client) => {
          const now = (await contracts.get(entry.dataset, client))!;
          if (Object.keys(authorities).length > 0) await contracts.setAuthorities(client, entry.dataset, { ...now.authorities, ...authorities }, by.name);
          const done = await store.setEnrolment(id, 'active', decided, client);
          if (!done) throw new HubError('HUB_ERR_CONFLICT', `entry ${id} was decided meanwhile`);
          await admin.grant(grants);
          granted = true;
          return done;
        });
      } catch (err) {
        if (granted) await admin.revoke(grants).catch(() => undefined);
        throw err;
      }
      log.info({ entry: id, by: by.name, authorities }, 'provider enrolled');
      await act(by, 'catalog.provider_enrolled', entry.dataset, entry.provider, { entry: id, authorities, aclsCreated: grants, reason: reason ?? null });
      await notify(approved);
      return approved;
    },

    async setAuthorities(dataset, authorities, reason, by) {
      if (by.role !== 'authority') throw forbidden('only the data authority names the authoritative source of a field (一数一源)');
      if (!reason.trim()) throw new HubError('HUB_ERR_VALIDATION', 'say why the authorities change: "reason" is required');
      const c = await contract(dataset);
      await checkAuthorities(dataset, parsed(dataset, c.schema), authorities);
      const next = await contracts.setAuthorities(pool, dataset, authorities, by.name);
      log.info({ dataset, authorities, by: by.name, reason }, 'authoritative sources changed');
      await act(by, 'catalog.authorities_changed', dataset, c.owner, { before: c.authorities, after: authorities, reason });
      const { entries } = await store.search({ dataset, limit: 500, offset: 0 });
      for (const e of entries) await notify(e);
      return next;
    },

    async get(id) {
      const entry = await store.byId(id);
      if (!entry) throw notFound(id);
      return entry;
    },
    search: (q) => store.search(q),
    active: () => store.all(),
    async versions(id) {
      const versions = await store.versions(id);
      if (versions.length === 0) throw notFound(id);
      return versions;
    },
    async targetOf(provider, dataset) {
      const entry = await store.byProviderDataset(provider, dataset);
      if (!entry) throw new HubError('HUB_ERR_NOT_FOUND', `${provider} has not declared ${dataset} in the catalog: declare it with POST /api/v1/catalog first`);
      if (entry.status === 'pending')
        throw forbidden(`${provider}'s enrolment as a provider of ${dataset} waits for the data authority: its records are not accepted until then`);
      if (entry.status === 'refused') throw forbidden(`the data authority refused ${provider} as a provider of ${dataset}`);
      return entry;
    },
    schemaOf,
    contractOf,
    contract,
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
