import { shareTopic } from '../contract/names.ts';
import { HubError } from '../platform/errors.ts';
import type { DatasetSchema } from '../contract/dataset-schema.ts';
import { defaultMaskKind, isMaskKind, maskHash, maskProblem, maskValue, type FieldShape, type MaskKind, type MaskTarget } from './masking.ts';
import { coarseKind, type FieldKind } from '../contract/field-kind.ts';

export const sensitiveGrade = 3;

export interface FieldPlan extends MaskTarget {
  /** null: the field is shared as it is. */
  mask: MaskKind | null;
}

/**
 * `business-key`: the share record's key is the clean key (the business key joined with "|") and
 * the schema keeps `businessKey`; only when every key field is granted and unmasked, since the key
 * would otherwise leak what the masking hides. `hashed`: the key is the HMAC of the clean key under
 * the grant's salt, stable per entity within the grant, and the schema carries no `businessKey`.
 */
export type KeyMode = 'business-key' | 'hashed';

export interface Projection {
  dataset: string;
  topic: string;
  /** The projected Avro schema text, registered as `<topic>-value`. */
  schema: string;
  fields: FieldPlan[];
  keyMode: KeyMode;
  key(cleanKey: string): string;
  /** A clean (or landing) record, Avro-style values, to the share record. */
  value(clean: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

export interface ProjectionInput {
  grantId: string;
  dataset: DatasetSchema;
  fields: readonly string[];
  /** Field names, or `<dataset>.<field>`, of sensitive fields shared in clear. */
  unmasked?: readonly string[];
  /** Per-field masking kind (by name or `<dataset>.<field>`); overrides the default for sensitive fields. */
  masking?: Readonly<Record<string, string>>;
  salt: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const primitives = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** The masking view of a field's kind (decided once, in contract/field-kind.ts). */
export function shapeOf(kind: FieldKind): FieldShape {
  const coarse = coarseKind(kind);
  return coarse === 'decimal' || coarse === 'bytes' ? 'other' : coarse;
}

function collectNamed(type: unknown, into: Map<string, Record<string, unknown>>, ns: string): void {
  if (Array.isArray(type)) {
    for (const t of type) collectNamed(t, into, ns);
    return;
  }
  if (!isObject(type)) return;
  if (typeof type.name === 'string' && (type.type === 'enum' || type.type === 'fixed' || type.type === 'record')) {
    const space = typeof type.namespace === 'string' ? type.namespace : ns;
    into.set(type.name, type);
    if (!type.name.includes('.')) into.set(`${space}.${type.name}`, type);
  }
  if (Array.isArray(type.fields)) for (const f of type.fields) if (isObject(f)) collectNamed(f.type, into, ns);
  collectNamed(type.items, into, ns);
  collectNamed(type.values, into, ns);
}

/** Inlines a named type the first time the projection uses it: its defining field may not be granted. */
function inlineNamed(type: unknown, named: ReadonlyMap<string, Record<string, unknown>>, defined: Set<string>): unknown {
  if (typeof type === 'string') {
    if (primitives.has(type) || defined.has(type)) return type;
    const def = named.get(type);
    return def ? inlineNamed(def, named, defined) : type;
  }
  if (Array.isArray(type)) return type.map((t) => inlineNamed(t, named, defined));
  if (!isObject(type)) return type;
  if (typeof type.name === 'string' && (type.type === 'enum' || type.type === 'fixed' || type.type === 'record')) {
    if (defined.has(type.name)) return type.name;
    defined.add(type.name);
  }
  const out: Record<string, unknown> = { ...type };
  if (Array.isArray(type.fields)) out.fields = type.fields.map((f) => (isObject(f) ? { ...f, type: inlineNamed(f.type, named, defined) } : f));
  if (type.items !== undefined) out.items = inlineNamed(type.items, named, defined);
  if (type.values !== undefined) out.values = inlineNamed(type.values, named, defined);
  return out;
}

const invalid = (message: string) => new HubError('HUB_ERR_UNPROCESSABLE', message);

/** Pure: checks the grant's fields and masking against the dataset schema and builds the share schema. */
export function projectionOf({ grantId, dataset, fields, unmasked = [], masking = {}, salt }: ProjectionInput): Projection {
  const json = dataset.json;
  const byName = new Map(json.fields.map((f) => [f.name, f]));
  const kinds = new Map(dataset.fields.map((f) => [f.name, f.kind]));
  if (fields.length === 0) throw invalid(`${dataset.dataset}: a grant names at least one field`);
  const unknown = fields.filter((f) => !byName.has(f));
  if (unknown.length > 0) throw invalid(`${dataset.dataset} has no field ${unknown.join(', ')}`);
  if (new Set(fields).size !== fields.length) throw invalid(`${dataset.dataset}: a granted field is named twice`);
  const qualified = (f: string) => [f, `${dataset.dataset}.${f}`];
  const named = new Map<string, Record<string, unknown>>();
  collectNamed(
    json.fields.map((f) => f.type),
    named,
    json.namespace,
  );

  const plans: FieldPlan[] = [];
  const avroFields: Record<string, unknown>[] = [];
  const defined = new Set<string>();
  // Granted fields keep the dataset's order, whatever order the grant lists them in.
  for (const f of json.fields.filter((x) => fields.includes(x.name))) {
    const raw = Array.isArray(f.type) ? (f.type as unknown[]).find((t) => t !== 'null') : f.type;
    const target: MaskTarget = { name: f.name, shape: shapeOf(kinds.get(f.name) ?? 'other'), rules: f.rules ?? [] };
    const override = qualified(f.name)
      .map((k) => masking[k])
      .find((k) => k !== undefined);
    if (override !== undefined && !isMaskKind(override)) throw invalid(`${dataset.dataset}.${f.name}: unknown masking "${override}"`);
    const sensitive = f.grade >= sensitiveGrade && !qualified(f.name).some((k) => unmasked.includes(k));
    const mask = sensitive ? (override ?? defaultMaskKind(target)) : null;
    if (mask !== null) {
      const problem = maskProblem(target, mask);
      if (problem) throw invalid(`${dataset.dataset}: ${problem}`);
    }
    plans.push({ ...target, mask });
    const base = mask === 'partial' || mask === 'hash' ? 'string' : inlineNamed(raw, named, defined);
    avroFields.push({
      name: f.name,
      type: ['null', base],
      default: null,
      doc: f.doc,
      grade: f.grade,
      ...(mask ? { masking: mask } : {}),
    });
  }

  const keyMode: KeyMode = json.businessKey.every((k) => plans.some((p) => p.name === k && p.mask === null)) ? 'business-key' : 'hashed';
  const namespace = `gov.hub.share.${grantId.replace(/-/g, '_')}`;
  const schema = JSON.stringify({
    type: 'record',
    name: `${json.name}Share`,
    namespace,
    doc: `${json.doc}（共享授权 ${grantId}）`,
    dataset: dataset.dataset,
    grant: grantId,
    ...(keyMode === 'business-key' ? { businessKey: json.businessKey } : { keyHashed: true }),
    fields: avroFields,
  });
  return {
    dataset: dataset.dataset,
    topic: shareTopic(grantId, dataset.dataset),
    schema,
    fields: plans,
    keyMode,
    key: (cleanKey) => (keyMode === 'business-key' ? cleanKey : maskHash(cleanKey, salt)),
    value(clean) {
      const out: Record<string, unknown> = {};
      for (const p of plans) {
        const v = clean[p.name] ?? null;
        out[p.name] = p.mask === null ? v : maskValue(v, p.mask, p, salt);
      }
      return out;
    },
  };
}
