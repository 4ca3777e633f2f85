import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import type { Type } from 'avsc';
import { HubError } from '../platform/errors.ts';
import { type CoarseKind, coarseKind, type FieldKind, fieldTypesOf } from './field-kind.ts';

/**
 * The hub's dataset schemas: one Avro record per `.avsc` file under `schemas/<layer>/<name>.avsc`,
 * carrying the hub's own attributes (dataset, layer, businessKey; per field grade and rules).
 * schemas/README.md is the human version of the convention enforced here.
 */

export const defaultSchemaDir = fileURLToPath(new URL('../../schemas/', import.meta.url));

export const layers = ['base', 'theme'] as const;
export type Layer = (typeof layers)[number];

/** Sensitivity grades. State secrets (涉密) have no grade: they never enter the platform. */
export const sensitivityGrades = {
  1: '公开 public',
  2: '内部 internal',
  3: '敏感 sensitive',
  4: '高敏感 highly sensitive',
} as const;
export type Grade = keyof typeof sensitivityGrades;
export const maxGrade = 4;

/**
 * The validation rule vocabulary. A rule in a schema is `name` or, for the parameterised ones,
 * `name:param` (code-list:<list>, max-length:<n>, not-before:<field>).
 */
export const schemaRules = [
  'required',
  'not-blank',
  'max-length',
  'resident-id',
  'uscc',
  'party-id',
  'phone-cn',
  'region-code',
  're-unit-code',
  'code-list',
  'date-past',
  'not-before',
  'positive',
  'non-negative',
  'longitude',
  'latitude',
] as const;
export type SchemaRuleName = (typeof schemaRules)[number];

/** What a field's (non-null) type is, as far as rules care. */
type Kind = CoarseKind;

type ParamKind = 'none' | 'list' | 'length' | 'field';

interface RuleSpec {
  readonly param: ParamKind;
  /** null: any kind. */
  readonly kinds: readonly Kind[] | null;
}

const stringKinds: readonly Kind[] = ['string'];
const numberKinds: readonly Kind[] = ['number', 'decimal'];
const timeKinds: readonly Kind[] = ['date', 'timestamp'];

const ruleSpecs: { readonly [R in SchemaRuleName]: RuleSpec } = {
  required: { param: 'none', kinds: null },
  'not-blank': { param: 'none', kinds: stringKinds },
  'max-length': { param: 'length', kinds: stringKinds },
  'resident-id': { param: 'none', kinds: stringKinds },
  uscc: { param: 'none', kinds: stringKinds },
  'party-id': { param: 'none', kinds: stringKinds },
  'phone-cn': { param: 'none', kinds: stringKinds },
  'region-code': { param: 'none', kinds: stringKinds },
  're-unit-code': { param: 'none', kinds: stringKinds },
  'code-list': { param: 'list', kinds: stringKinds },
  'date-past': { param: 'none', kinds: timeKinds },
  'not-before': { param: 'field', kinds: timeKinds },
  positive: { param: 'none', kinds: numberKinds },
  'non-negative': { param: 'none', kinds: numberKinds },
  longitude: { param: 'none', kinds: ['number'] },
  latitude: { param: 'none', kinds: ['number'] },
};

export interface ParsedRule {
  readonly name: SchemaRuleName;
  /** The text after the first ':', or null for a rule without a parameter. */
  readonly param: string | null;
}

function isRuleName(name: string): name is SchemaRuleName {
  return (schemaRules as readonly string[]).includes(name);
}

/** Splits `name:param`; null when the name is not in the vocabulary. Does not check the parameter. */
export function parseRule(rule: string): ParsedRule | null {
  const colon = rule.indexOf(':');
  const name = colon < 0 ? rule : rule.slice(0, colon);
  if (!isRuleName(name)) return null;
  return { name, param: colon < 0 ? null : rule.slice(colon + 1) };
}

export interface DatasetField {
  readonly name: string;
  readonly grade: Grade;
  readonly rules: readonly string[];
  readonly doc: string;
  /** Decided once, at parse time, by field-kind.ts. */
  readonly kind: FieldKind;
  readonly nullable: boolean;
}

export interface FieldSchemaJson {
  readonly name: string;
  readonly type: unknown;
  readonly doc: string;
  readonly grade: Grade;
  readonly rules?: readonly string[];
  readonly default?: unknown;
  readonly [attribute: string]: unknown;
}

/** A schema file's JSON once it has passed validateSchemaConvention. */
export interface DatasetSchemaJson {
  readonly type: 'record';
  readonly name: string;
  readonly namespace: string;
  readonly doc: string;
  readonly dataset: string;
  readonly layer: Layer;
  readonly businessKey: readonly string[];
  readonly fields: readonly FieldSchemaJson[];
  readonly [attribute: string]: unknown;
}

export interface SchemaConvention {
  readonly dataset: string;
  readonly layer: Layer;
  readonly json: DatasetSchemaJson;
  readonly businessKey: readonly string[];
  readonly fields: readonly DatasetField[];
}

export interface DatasetSchema extends SchemaConvention {
  /** Path relative to the schema directory, with '/' separators, e.g. 'base/natural_person.avsc'. */
  readonly file: string;
  /** The raw file text, trimmed. */
  readonly text: string;
  readonly type: Type;
}

const fileNamePattern = /^(base|theme)\/([a-z][a-z0-9]*(?:_[a-z0-9]+)*)\.avsc$/;
const fieldNamePattern = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const recordNamePattern = /^[A-Z][A-Za-z0-9]*$/;
const listNamePattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const hanPattern = /\p{Script=Han}/u;

/** The dataset id and layer a schema file's path implies: 'base/natural_person.avsc' is base.natural_person. */
export function datasetForFile(file: string): { dataset: string; layer: Layer } {
  const match = fileNamePattern.exec(file);
  const layer = match?.[1];
  const name = match?.[2];
  if (!isLayer(layer) || name === undefined) {
    throw configError(file, `a schema file is <layer>/<dataset_name>.avsc with layer ${layers.join(' or ')} and a snake_case name`);
  }
  return { dataset: `${layer}.${name}`, layer };
}

function isLayer(value: unknown): value is Layer {
  return typeof value === 'string' && (layers as readonly string[]).includes(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Array.isArray without the `any[]`. */
function isArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

function configError(file: string, what: string): HubError {
  return new HubError('HUB_ERR_CONFIG', `${file}: ${what}`);
}

function isChineseDoc(doc: unknown): doc is string {
  return typeof doc === 'string' && doc.trim() !== '' && hanPattern.test(doc);
}

/** What the landing databases can hold: one flat column per field. */
const landable: ReadonlySet<FieldKind> = new Set(['string', 'enum', 'boolean', 'int', 'long', 'float', 'double', 'date', 'timestamp-millis']);

/** Every enum declares a default symbol, so that adding a symbol later stays readable by old readers. */
function checkEnums(type: unknown, file: string, field: string): void {
  if (isArray(type)) {
    for (const branch of type) checkEnums(branch, file, field);
    return;
  }
  if (!isObject(type)) return;
  if (type.type === 'enum' && type.default === undefined) {
    throw configError(file, `field "${field}": enum ${String(type.name)} has no "default" symbol (needed to add symbols compatibly)`);
  }
  if (isArray(type.fields)) for (const f of type.fields) if (isObject(f)) checkEnums(f.type, file, field);
  checkEnums(type.items, file, field);
  checkEnums(type.values, file, field);
}

/** A JSON value as it reads in the file. */
function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

const gradeList = Object.entries(sensitivityGrades)
  .map(([grade, label]) => `${grade} (${label})`)
  .join(', ');

/**
 * Checks a parsed schema against the hub's convention (not Avro validity: that is avsc's job, see
 * parseDatasetSchema). `file` is the path relative to the schema directory: it fixes the expected
 * dataset id and layer. Pure; throws HubError HUB_ERR_CONFIG '<file>: <what is wrong>' at the first
 * problem.
 */
export function validateSchemaConvention(json: unknown, file: string): SchemaConvention {
  const expected = datasetForFile(file);
  if (!isObject(json)) throw configError(file, 'the schema is not a JSON object');
  if (json.type !== 'record') throw configError(file, `the schema is a ${show(json.type)}, not a record`);
  if (typeof json.name !== 'string' || !recordNamePattern.test(json.name)) {
    throw configError(file, `record name ${show(json.name)} is not PascalCase`);
  }
  const namespace = `gov.hub.${expected.layer}`;
  if (json.namespace !== namespace) {
    throw configError(file, `namespace is ${show(json.namespace)}; a ${expected.layer} schema uses "${namespace}"`);
  }
  if (!isChineseDoc(json.doc)) throw configError(file, 'the record has no Chinese "doc"');

  if (json.dataset === undefined) throw configError(file, `"dataset" is missing; the file path says "${expected.dataset}"`);
  if (json.dataset !== expected.dataset) {
    throw configError(file, `"dataset" is ${show(json.dataset)} but the file path says "${expected.dataset}"`);
  }
  if (json.layer === undefined) throw configError(file, `"layer" is missing; the file path says "${expected.layer}"`);
  if (json.layer !== expected.layer) {
    throw configError(file, `"layer" is ${show(json.layer)} but the file path says "${expected.layer}"`);
  }

  if (!isArray(json.fields) || json.fields.length === 0) throw configError(file, 'the record has no fields');
  for (const [index, raw] of json.fields.entries()) {
    if (!isObject(raw) || typeof raw.name !== 'string') throw configError(file, `field #${index + 1} has no name`);
  }
  const types = fieldTypesOf(json as unknown as DatasetSchemaJson);

  const fields: DatasetField[] = [];
  const byName = new Map<string, { kind: Kind; nullable: boolean; rules: readonly string[] }>();
  // First pass: shape, doc, type, grade; rules are checked once every field is known (not-before).
  for (const [index, raw] of json.fields.entries()) {
    if (!isObject(raw) || typeof raw.name !== 'string') throw configError(file, `field #${index + 1} has no name`);
    const name = raw.name;
    if (!fieldNamePattern.test(name)) throw configError(file, `field "${name}" is not snake_case`);
    if (byName.has(name)) throw configError(file, `field "${name}" is declared twice`);
    if (!isChineseDoc(raw.doc)) throw configError(file, `field "${name}" has no Chinese "doc"`);

    let type = raw.type;
    let nullable = false;
    if (isArray(type)) {
      if (type.length !== 2 || type[0] !== 'null' || type[1] === 'null') {
        throw configError(file, `field "${name}": a union must be ["null", T] (an optional field)`);
      }
      if (raw.default !== null) throw configError(file, `field "${name}" is optional but its "default" is not null`);
      nullable = true;
      type = type[1];
    }
    checkEnums(type, file, name);

    const grade = raw.grade;
    if (grade === undefined) throw configError(file, `field "${name}" has no grade; grades are ${gradeList}`);
    if (typeof grade === 'number' && Number.isInteger(grade) && grade > maxGrade) {
      throw configError(file, `field "${name}" has grade ${grade}; grades stop at ${maxGrade}: state secrets (涉密) are never allowed on the platform`);
    }
    if (grade !== 1 && grade !== 2 && grade !== 3 && grade !== 4) {
      throw configError(file, `field "${name}" has grade ${show(grade)}; a grade is an integer 1..${maxGrade}`);
    }

    const rules = raw.rules ?? [];
    if (!isArray(rules) || !rules.every((r): r is string => typeof r === 'string')) {
      throw configError(file, `field "${name}": "rules" must be an array of rule names`);
    }
    const fieldType = types.get(name)!;
    if (!landable.has(fieldType.kind)) {
      throw configError(
        file,
        `field "${name}" is ${fieldType.kind === 'other' ? 'not a single flat value' : fieldType.kind}: the base and theme databases hold strings, enums, booleans, numbers, dates and millisecond timestamps`,
      );
    }
    byName.set(name, { kind: coarseKind(fieldType.kind), nullable, rules });
    fields.push({ name, grade, rules, doc: raw.doc, kind: fieldType.kind, nullable });
  }

  for (const field of fields) {
    const info = byName.get(field.name);
    if (info === undefined) continue;
    checkRules(file, field.name, info, byName);
  }

  const businessKey = checkBusinessKey(file, json.businessKey, byName);
  return { dataset: expected.dataset, layer: expected.layer, json: json as DatasetSchemaJson, businessKey, fields };
}

function checkRules(
  file: string,
  field: string,
  info: { kind: Kind; nullable: boolean; rules: readonly string[] },
  byName: ReadonlyMap<string, { kind: Kind; nullable: boolean }>,
): void {
  const seen = new Set<string>();
  for (const rule of info.rules) {
    const parsed = parseRule(rule);
    if (parsed === null) throw configError(file, `field "${field}" has unknown rule "${rule}"; known rules: ${schemaRules.join(', ')}`);
    if (seen.has(parsed.name)) throw configError(file, `field "${field}" has rule "${parsed.name}" twice`);
    seen.add(parsed.name);
    const spec = ruleSpecs[parsed.name];
    checkParam(file, field, parsed, spec.param, info.kind, byName);
    if (spec.kinds !== null && !spec.kinds.includes(info.kind)) {
      throw configError(file, `field "${field}": rule "${parsed.name}" applies to ${spec.kinds.join('/')} fields, not ${info.kind}`);
    }
    if (parsed.name === 'required' && info.nullable) {
      throw configError(file, `field "${field}": rule "required" contradicts its optional ["null", T] type`);
    }
  }
}

function checkParam(file: string, field: string, rule: ParsedRule, param: ParamKind, kind: Kind, byName: ReadonlyMap<string, { kind: Kind }>): void {
  const { name, param: value } = rule;
  if (param === 'none') {
    if (value !== null) throw configError(file, `field "${field}": rule "${name}" takes no parameter`);
    return;
  }
  if (value === null || value === '') throw configError(file, `field "${field}": rule "${name}" needs a parameter (${name}:<${param}>)`);
  switch (param) {
    case 'list':
      if (!listNamePattern.test(value)) throw configError(file, `field "${field}": code list name "${value}" is not kebab-case`);
      return;
    case 'length':
      if (!/^[1-9]\d*$/.test(value)) throw configError(file, `field "${field}": rule "${name}" needs a positive integer, not "${value}"`);
      return;
    case 'field': {
      const other = byName.get(value);
      if (other === undefined) throw configError(file, `field "${field}": rule "${name}" names "${value}", which is not a field of the record`);
      if (value === field) throw configError(file, `field "${field}": rule "${name}" names the field itself`);
      if (other.kind !== kind) throw configError(file, `field "${field}": rule "${name}" compares a ${kind} with "${value}", a ${other.kind}`);
      return;
    }
  }
}

function checkBusinessKey(file: string, raw: unknown, byName: ReadonlyMap<string, { nullable: boolean; rules: readonly string[] }>): readonly string[] {
  if (raw === undefined) throw configError(file, 'businessKey is missing; declare "businessKey": ["<field>", ...]');
  if (!isArray(raw) || raw.length === 0 || !raw.every((k): k is string => typeof k === 'string')) {
    throw configError(file, 'businessKey must be a non-empty array of field names');
  }
  const seen = new Set<string>();
  for (const key of raw) {
    if (seen.has(key)) throw configError(file, `businessKey names "${key}" twice`);
    seen.add(key);
    const info = byName.get(key);
    if (info === undefined) throw configError(file, `businessKey names "${key}", which is not a field of the record`);
    if (info.nullable) throw configError(file, `business key field "${key}" must not be optional`);
    if (!info.rules.includes('required')) throw configError(file, `business key field "${key}" must carry the rule "required"`);
  }
  return raw;
}

type AvroSchema = Parameters<typeof avro.Type.forSchema>[0];

/** Parses and checks one schema's text: JSON, Avro (avsc, fresh registry), then the convention. Pure. */
export function parseDatasetSchema(rawText: string, file: string): DatasetSchema {
  const text = rawText.trim();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw configError(file, `not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  let type: Type;
  try {
    type = avro.Type.forSchema(json as AvroSchema, { registry: {} });
  } catch (err) {
    throw configError(file, `not a valid Avro schema: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { ...validateSchemaConvention(json, file), file, text, type };
}

async function listAvscFiles(root: string, dir: string, into: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const what = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : String(err);
    throw new HubError('HUB_ERR_CONFIG', `${dir}: cannot read the schema directory: ${what}`, { cause: err });
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await listAvscFiles(root, path, into);
    else if (entry.name.endsWith('.avsc')) into.push(relative(root, path).split(sep).join('/'));
  }
}

/**
 * Every `.avsc` file under `dir` (recursively), sorted by path, parsed and checked. The first bad
 * file fails the whole load with HUB_ERR_CONFIG.
 */
export async function loadSchemaFiles(dir: string = defaultSchemaDir): Promise<DatasetSchema[]> {
  const files: string[] = [];
  await listAvscFiles(dir, dir, files);
  files.sort();
  const schemas: DatasetSchema[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(join(dir, file), 'utf8');
    } catch (err) {
      throw new HubError('HUB_ERR_CONFIG', `${file}: cannot read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    schemas.push(parseDatasetSchema(text, file));
  }
  return schemas;
}
