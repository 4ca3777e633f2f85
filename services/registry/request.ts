import { parseCompatibilityLevel } from './compatibility.ts';
import { registryErrors } from './registry-error.ts';
import { modes, type CompatibilityLevel, type Mode, type SchemaRequest, type VersionRef } from './types.ts';

/** Turns path, query and body values into checked values, or the RegistryError Confluent answers with. */

const maxInt = 2 ** 31 - 1;

export function parseSubject(raw: string): string {
  if (raw === '' || [...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw registryErrors.invalidSubject(raw);
  return raw;
}

export function parseVersion(raw: string): VersionRef {
  const text = raw.trim();
  if (text.toLowerCase() === 'latest') return 'latest';
  if (!/^-?\d{1,10}$/.test(text)) throw registryErrors.invalidVersion(raw);
  const n = Number(text);
  if (n === -1) return 'latest';
  if (n < 1 || n > maxInt) throw registryErrors.invalidVersion(raw);
  return n;
}

export function parseSchemaId(raw: string): number {
  const n = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= maxInt)) throw registryErrors.schemaNotFound(raw);
  return n;
}

type Query = Record<string, unknown>;

function queryValue(query: unknown, name: string): string | undefined {
  const v = (query as Query | undefined)?.[name];
  const first = Array.isArray(v) ? (v[0] as unknown) : v;
  return typeof first === 'string' ? first : undefined;
}

/** Confluent's boolean query parameters: only "true" (any case) is true. */
export function flag(query: unknown, name: string): boolean {
  return queryValue(query, name)?.toLowerCase() === 'true';
}

export function text(query: unknown, name: string): string {
  return queryValue(query, name) ?? '';
}

function asObject(body: unknown, error: () => Error): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw error();
  return body as Record<string, unknown>;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A positive integer, or undefined for absent, null and Confluent's "unset" values (0 and below). */
function optionalPositiveInt(body: Record<string, unknown>, name: string): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v > maxInt) {
    if (name === 'version') throw registryErrors.invalidVersion(JSON.stringify(v));
    throw registryErrors.invalidSchema(`"${name}" must be a whole number between 1 and 2^31-1, got ${JSON.stringify(v)}`);
  }
  return v > 0 ? v : undefined;
}

/**
 * The body of register, lookup and compatibility requests. Unknown fields (metadata, ruleSet,
 * normalize, ...) are ignored; `id` and `version` only matter to register.
 */
/** Far above any dataset schema; bounds the work of parsing and canonicalising one. */
const maxSchemaLength = 1024 * 1024;

export function parseSchemaRequest(body: unknown): SchemaRequest {
  const o = asObject(body, () =>
    registryErrors.invalidSchema('The request body must be a JSON object such as {"schema": "<the Avro schema as a JSON string>"}'),
  );
  const { schema, schemaType, references } = o;
  if (schema === undefined || schema === null) throw registryErrors.invalidSchema('Empty schema: the request body has no "schema" field');
  if (typeof schema !== 'string') {
    throw registryErrors.invalidSchema(`"schema" must be a string holding the schema's JSON (use JSON.stringify on the schema), got ${describe(schema)}`);
  }
  if (schema.length > maxSchemaLength)
    throw registryErrors.invalidSchema(`Invalid schema: ${schema.length} characters; this registry takes schemas of at most ${maxSchemaLength}`);
  if (schema.includes('\u0000')) throw registryErrors.invalidSchema('Invalid schema: it holds a NUL character (U+0000), which a schema never needs');
  if (schemaType !== undefined && schemaType !== null && (typeof schemaType !== 'string' || schemaType.toUpperCase() !== 'AVRO')) {
    throw registryErrors.invalidSchema(`Invalid schema type ${JSON.stringify(schemaType)}: this registry supports only AVRO`);
  }
  if (references !== undefined && references !== null) {
    if (!Array.isArray(references)) throw registryErrors.invalidSchema(`"references" must be an array, got ${describe(references)}`);
    if (references.length > 0) {
      throw registryErrors.invalidSchema(
        'Schema references are not supported by this registry: inline the referenced types in the schema and send "references": []',
      );
    }
  }
  const request: SchemaRequest = { schema, schemaType: 'AVRO' };
  const id = optionalPositiveInt(o, 'id');
  const version = optionalPositiveInt(o, 'version');
  if (id !== undefined) request.id = id;
  if (version !== undefined) request.version = version;
  return request;
}

/** PUT /config body: Confluent's field is "compatibility"; "compatibilityLevel" (what GET returns) is accepted too. */
export function parseConfigRequest(body: unknown): CompatibilityLevel {
  const o = asObject(body, () => registryErrors.invalidCompatibilityLevel(body));
  const given = o.compatibility ?? o.compatibilityLevel;
  const level = parseCompatibilityLevel(given);
  if (!level) throw registryErrors.invalidCompatibilityLevel(given);
  return level;
}

export function parseModeRequest(body: unknown): Mode {
  const o = asObject(body, () => registryErrors.invalidMode(body));
  const given = o.mode;
  const upper = typeof given === 'string' ? given.trim().toUpperCase() : '';
  if (!(modes as readonly string[]).includes(upper)) throw registryErrors.invalidMode(given);
  return upper as Mode;
}
