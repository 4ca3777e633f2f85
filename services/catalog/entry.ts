import { HubError } from '../platform/errors.ts';
import { maxGrade, parseDatasetSchema, type DatasetSchema } from '../contract/dataset-schema.ts';

export const shareTypes = ['unconditional', 'conditional', 'not_shared'] as const;
export const openTypes = ['open', 'on_application', 'not_open'] as const;
export const shareMethods = ['subscription', 'interface', 'verification', 'file'] as const;
export const updateCycles = ['realtime', 'hourly', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly'] as const;
export type ShareType = (typeof shareTypes)[number];
export type UpdateCycle = (typeof updateCycles)[number];

/** Grade 5 is 涉密 (state secret): never allowed on the platform (Quanzhou 8(3), Zhongshan 17). */
export const stateSecretGrade = 5;

/** How long a provider may stay silent before its dataset is stale (ms). */
export const cycleMs: Record<UpdateCycle, number> = {
  realtime: 60 * 60 * 1000,
  hourly: 60 * 60 * 1000,
  daily: 24 * 60 * 60 * 1000,
  weekly: 7 * 24 * 60 * 60 * 1000,
  monthly: 31 * 24 * 60 * 60 * 1000,
  quarterly: 92 * 24 * 60 * 60 * 1000,
  yearly: 366 * 24 * 60 * 60 * 1000,
};

/** The catalog elements of the national catalog guide that a provider states. */
export interface CatalogElements {
  name: string;
  resourceCode: string;
  classificationCode: string;
  providerCode: string;
  summary: string;
  format: string;
  shareType: ShareType;
  shareConditions: string | null;
  shareMethod: (typeof shareMethods)[number];
  legalBasis: string | null;
  openType: (typeof openTypes)[number];
  updateCycle: UpdateCycle;
  publishedOn: string;
  relatedResources: string[];
  usageRequirements: string | null;
  sample: Record<string, unknown> | null;
  grade: number;
  /** Fields this provider is the authoritative source of (一数一源); others' values are cross-checked against it. */
  authoritativeFields: string[];
}

export interface CatalogField {
  name: string;
  type: string;
  doc: string;
  grade: number;
}

/** active: a provider of the dataset; pending: waiting for the authority to enrol it; refused. */
export type EntryStatus = 'active' | 'pending' | 'refused';

/** A later provider's enrolment: what it asked for and how the authority decided. */
export interface Enrolment {
  requestedAuthoritativeFields: string[];
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
}

/** A catalog entry as the API shows it. */
export interface CatalogEntry extends CatalogElements {
  status: EntryStatus;
  enrolment: Enrolment | null;
  id: string;
  dataset: string;
  provider: string;
  topic: string;
  subject: string;
  schemaId: number;
  fields: CatalogField[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

function typeName(type: unknown): string {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.map(typeName).join('|');
  if (type && typeof type === 'object') {
    const o = type as { type?: unknown; logicalType?: unknown; name?: unknown };
    if (typeof o.logicalType === 'string') return o.logicalType;
    if (o.type === 'enum' && typeof o.name === 'string') return `enum ${o.name}`;
    return typeName(o.type);
  }
  return 'unknown';
}

/** The entry's fields (信息项), derived from its Avro schema. */
export function fieldsOf(schema: DatasetSchema): CatalogField[] {
  return schema.json.fields.map((f) => ({ name: f.name, type: typeName(f.type), doc: f.doc, grade: f.grade }));
}

const unprocessable = (message: string) => new HubError('HUB_ERR_UNPROCESSABLE', message);

/** A provider's own schema for the dataset, held to the same convention as `schemas/`. */
/** How many fields a schema (object or JSON text) declares; 0 when it is not a record at all (the convention check says why). */
function fieldsIn(schema: unknown): number {
  let value = schema;
  if (typeof schema === 'string') {
    try {
      value = JSON.parse(schema);
    } catch {
      return 0;
    }
  }
  const fields = value && typeof value === 'object' ? (value as { fields?: unknown }).fields : undefined;
  return Array.isArray(fields) ? fields.length : 0;
}

/** Limits of a declared schema: far above any dataset of the regulations, far below what would hurt the hub. */
export const schemaLimits = { maxBytes: 256 * 1024, maxFields: 500 } as const;

export function parseEntrySchema(dataset: string, schema: unknown): DatasetSchema {
  const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
  if (Buffer.byteLength(text) > schemaLimits.maxBytes) {
    throw unprocessable(`the schema is ${Buffer.byteLength(text)} bytes; a dataset's schema has at most ${schemaLimits.maxBytes} bytes`);
  }
  const fields = fieldsIn(typeof schema === 'string' ? text : schema);
  if (fields > schemaLimits.maxFields) throw unprocessable(`the schema has ${fields} fields; a dataset has at most ${schemaLimits.maxFields}`);
  const [layer, name] = dataset.split('.');
  try {
    return parseDatasetSchema(text, `${layer}/${name}.avsc`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/grade/.test(message) && new RegExp(`\\b${stateSecretGrade}\\b`).test(JSON.stringify(schema))) {
      throw unprocessable(`data graded as a state secret (涉密) is never put on the platform (Quanzhou 8(3), Zhongshan 17): ${message}`);
    }
    throw unprocessable(`the schema breaks the hub's schema convention: ${message}`);
  }
}

/**
 * The catalog rules of the five regulations, checked before anything is written:
 * - a not-shared entry cites its legal basis (Hefei 14, Wuxi 19);
 * - basic items of the base databases are shared unconditionally (Hefei 14, Quanzhou 5(2), Zhongshan 20);
 * - nothing graded a state secret (Quanzhou 8(3), Zhongshan 17);
 * - the entry's grade is at least that of its most sensitive field.
 */
export function checkCatalogRules(elements: CatalogElements, schema: DatasetSchema): void {
  if (elements.grade >= stateSecretGrade) {
    throw unprocessable(`grade ${elements.grade} is a state secret (涉密): such data is never put on the platform (Quanzhou 8(3), Zhongshan 17)`);
  }
  if (elements.grade < 1 || elements.grade > maxGrade) throw unprocessable(`grade must be 1 to ${maxGrade}, got ${elements.grade}`);
  if (elements.shareType === 'not_shared' && !elements.legalBasis?.trim()) {
    throw unprocessable('a not-shared entry must cite its legal basis (legalBasis): Hefei art. 14, Wuxi art. 19');
  }
  if (schema.layer === 'base' && elements.shareType !== 'unconditional') {
    throw unprocessable(
      `${schema.dataset} is a base database: its basic items are shared unconditionally (Hefei art. 14, Quanzhou 5(2), Zhongshan art. 20), not "${elements.shareType}"`,
    );
  }
  if (elements.shareType === 'conditional' && !elements.shareConditions?.trim()) {
    throw unprocessable('a conditional entry must state its share conditions (shareConditions)');
  }
  const names = new Set(schema.fields.map((f) => f.name));
  const unknown = elements.authoritativeFields.filter((f) => !names.has(f));
  if (unknown.length > 0) throw unprocessable(`authoritativeFields names fields the schema does not have: ${unknown.join(', ')}`);
  const top = Math.max(...schema.fields.map((f) => f.grade));
  if (elements.grade < top) {
    throw unprocessable(`grade ${elements.grade} is below the entry's most sensitive field (grade ${top}): the entry's grade must be at least ${top}`);
  }
}
