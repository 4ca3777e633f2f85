import type { FastifyInstance } from 'fastify';
import type { CatalogService, EnrolDecision, EntryInput, EntryPatch } from './service.ts';
import type { DepartmentService, DepartmentStore } from './departments.ts';
import { fieldsOf, openTypes, shareMethods, shareTypes, updateCycles } from './entry.ts';
import { internalRoles } from '../principals/types.ts';

// An applicant reads the open-data portal, not the catalog.
const everyone = internalRoles;

const elementProperties = {
  name: { type: 'string', minLength: 1, maxLength: 200, description: '资源名称' },
  resourceCode: { type: 'string', maxLength: 120, description: '资源代码: always <provider>.<dataset>' },
  classificationCode: { type: 'string', minLength: 1, maxLength: 60, description: '资源分类' },
  providerCode: { type: 'string', maxLength: 60, description: '提供方代码' },
  summary: { type: 'string', maxLength: 4000, description: '资源摘要' },
  format: { type: 'string', maxLength: 40, description: '资源格式' },
  shareType: { type: 'string', enum: [...shareTypes], description: '共享类型' },
  shareConditions: { type: ['string', 'null'], maxLength: 4000, description: '共享条件' },
  shareMethod: { type: 'string', enum: [...shareMethods], description: '共享方式' },
  legalBasis: { type: ['string', 'null'], maxLength: 4000, description: '不予共享的法律依据' },
  openType: { type: 'string', enum: [...openTypes], description: '开放类型' },
  updateCycle: { type: 'string', enum: [...updateCycles], description: '更新周期' },
  publishedOn: { type: 'string', format: 'date', description: '发布日期' },
  relatedResources: { type: 'array', items: { type: 'string' }, maxItems: 100, description: '关联资源代码' },
  usageRequirements: { type: ['string', 'null'], maxLength: 4000, description: '使用要求' },
  sample: { type: ['object', 'null'], description: '数据样例: one record of the dataset' },
  grade: { type: 'integer', minimum: 1, maximum: 9, description: '敏感级别 1-4; 5 (涉密) is refused' },
  authoritativeFields: {
    type: 'array',
    items: { type: 'string', maxLength: 63 },
    maxItems: 200,
    uniqueItems: true,
    description: '本部门为权威来源的信息项 (一数一源)',
  },
  schema: { description: 'the Avro schema (object or JSON text); defaults to schemas/<layer>/<name>.avsc' },
} as const;

const entrySchema = {
  type: 'object',
  additionalProperties: true,
} as const;

const searchQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: 200 },
    provider: { type: 'string', maxLength: 60 },
    shareType: { type: 'string', enum: [...shareTypes] },
    classification: { type: 'string', maxLength: 60 },
    dataset: { type: 'string', maxLength: 120 },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    offset: { type: 'integer', minimum: 0, default: 0 },
  },
} as const;

interface SearchQuery {
  q?: string;
  provider?: string;
  shareType?: string;
  classification?: string;
  dataset?: string;
  limit: number;
  offset: number;
}

/** The unified catalog (目录管理) and department onboarding. */
export async function catalogRoutes(
  app: FastifyInstance,
  { catalog, departments, departmentStore }: { catalog: CatalogService; departments: DepartmentService; departmentStore: DepartmentStore },
): Promise<void> {
  app.post<{ Body: { name: string; displayName: string; code?: string } }>(
    '/departments',
    {
      config: { roles: ['authority'] },
      schema: {
        tags: ['departments'],
        summary: 'Onboard a provider department: its API token and Kafka user (secrets shown once)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'displayName'],
          properties: { name: { type: 'string', maxLength: 40 }, displayName: { type: 'string', maxLength: 200 }, code: { type: 'string', maxLength: 60 } },
        },
      },
    },
    async (request, reply) => {
      const result = await departments.onboard(request.body, request.principal!);
      return reply.code(201).send(result);
    },
  );

  app.get('/departments', { config: { roles: everyone }, schema: { tags: ['departments'], summary: 'Onboarded departments' } }, async () =>
    departmentStore.list(),
  );

  app.post<{ Body: EntryInput }>(
    '/catalog',
    {
      config: { roles: ['authority', 'department'] },
      schema: {
        tags: ['catalog'],
        summary: 'Declare a dataset: its catalog entry, schema (registry subject <topic>-value) and raw topic raw.<provider>.<dataset>',
        body: {
          ...entrySchema,
          additionalProperties: false,
          required: ['dataset'],
          properties: { dataset: { type: 'string' }, provider: { type: 'string' }, reason: { type: 'string', maxLength: 2000 }, ...elementProperties },
        },
      },
    },
    async (request, reply) => reply.code(201).send(await catalog.create(request.body, request.principal!)),
  );

  app.get<{ Querystring: SearchQuery }>(
    '/catalog',
    {
      config: { roles: everyone },
      schema: { tags: ['catalog'], summary: 'Search the catalog by text, provider, share type and classification', querystring: searchQuery },
    },
    async (request) => {
      const { q, ...rest } = request.query;
      return catalog.search({ ...rest, ...(q ? { text: q } : {}) });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/catalog/:id',
    { config: { roles: everyone }, schema: { tags: ['catalog'], summary: 'One catalog entry' } },
    async (request) => catalog.get(request.params.id),
  );

  app.put<{ Params: { id: string }; Body: EntryPatch }>(
    '/catalog/:id',
    {
      config: { roles: ['authority', 'department'] },
      schema: {
        tags: ['catalog'],
        summary: 'Change an entry; kept as a new version with who, when, why and the deadline the jurisdiction sets',
        body: {
          ...entrySchema,
          additionalProperties: false,
          required: ['reason'],
          properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 }, version: { type: 'integer', minimum: 1 }, ...elementProperties },
        },
      },
    },
    async (request) => catalog.update(request.params.id, request.body, request.principal!),
  );

  app.get(
    '/catalog/enrolments',
    {
      config: { roles: ['authority'] },
      schema: { tags: ['catalog'], summary: 'Departments waiting to be enrolled as providers of a dataset that already has one' },
    },
    async () => catalog.search({ status: 'pending', limit: 500, offset: 0 }),
  );

  app.post<{ Params: { id: string }; Body: { decision: 'approve' | 'refuse'; authorities?: Record<string, string>; reason?: string } }>(
    '/catalog/:id/enrolment',
    {
      config: { roles: ['authority'] },
      schema: {
        tags: ['catalog'],
        summary: 'Enrol (or refuse) a pending provider; on approval name, per field, the one authoritative provider (一数一源)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['decision'],
          properties: {
            decision: { type: 'string', enum: ['approve', 'refuse'] },
            authorities: { type: 'object', maxProperties: 500, additionalProperties: { type: 'string', maxLength: 40 }, description: 'field → provider' },
            reason: { type: 'string', maxLength: 2000 },
          },
        },
      },
    },
    async (request) => {
      const { decision, authorities, reason } = request.body;
      const input: EnrolDecision = { approve: decision === 'approve', ...(authorities ? { authorities } : {}), ...(reason ? { reason } : {}) };
      return catalog.enrol(request.params.id, input, request.principal!);
    },
  );

  app.get<{ Params: { dataset: string } }>(
    '/contracts/:dataset',
    {
      config: { roles: everyone },
      schema: { tags: ['catalog'], summary: "A dataset's contract: owner, version, fields with grades, and the authoritative provider of each field" },
    },
    async (request) => {
      const c = await catalog.contract(request.params.dataset);
      const schema = await catalog.contractOf(c.dataset);
      return {
        dataset: c.dataset,
        owner: c.owner,
        version: c.version,
        schemaId: c.schemaId,
        businessKey: schema.businessKey,
        fields: fieldsOf(schema),
        authorities: c.authorities,
        updatedBy: c.updatedBy,
        updatedAt: c.updatedAt,
      };
    },
  );

  app.put<{ Params: { dataset: string }; Body: { authorities: Record<string, string>; reason: string } }>(
    '/contracts/:dataset/authorities',
    {
      config: { roles: ['authority'] },
      schema: {
        tags: ['catalog'],
        summary: 'Name the one authoritative provider of each field (replaces the whole map)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['authorities', 'reason'],
          properties: {
            authorities: { type: 'object', maxProperties: 500, additionalProperties: { type: 'string', maxLength: 40 } },
            reason: { type: 'string', minLength: 1, maxLength: 2000 },
          },
        },
      },
    },
    async (request) => catalog.setAuthorities(request.params.dataset, request.body.authorities, request.body.reason, request.principal!),
  );

  app.get<{ Params: { id: string } }>(
    '/catalog/:id/versions',
    { config: { roles: everyone }, schema: { tags: ['catalog'], summary: 'Every version of an entry' } },
    async (request) => catalog.versions(request.params.id),
  );
}
