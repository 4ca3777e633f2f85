import { readFile } from 'node:fs/promises';
import { HubError, errorMessage } from '../../services/platform/errors.ts';
import { datasetIdPattern, departmentNamePattern } from '../../services/contract/names.ts';
import { isSafeIdentifier, parseTableName, type TableName } from './sql-dialect.ts';

export type SourceKind = 'postgres' | 'mariadb';

export interface CursorColumns {
  /** A last-modified column: rows are read in its order, so updates are picked up too. */
  readonly updatedAt: string | null;
  /** A unique, increasing column: the tie-breaker among rows sharing updatedAt, or the only cursor. */
  readonly id: string | null;
}

export interface ConnectorConfig {
  readonly id: string;
  readonly department: string;
  readonly dataset: string;
  readonly source: {
    readonly kind: SourceKind;
    readonly url: string;
    readonly table: TableName;
    readonly cursor: CursorColumns;
    /** Extra SQL condition, written by the department's operator for its own database. */
    readonly where: string | null;
    /** Offset of zone-less times (DATETIME, timestamp without time zone), and MariaDB's session zone. */
    readonly timeZone: string;
  };
  /** Dataset field → source column. */
  readonly mapping: Readonly<Record<string, string>>;
  readonly kafka: { readonly brokers: readonly string[]; readonly username: string; readonly password: string };
  readonly registry: { readonly url: string; readonly username: string; readonly password: string };
  readonly pollIntervalMs: number;
  readonly batchSize: number;
}

export type ConnectorEnv = Readonly<Record<string, string | undefined>>;

export const connectorIdPattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const offsetPattern = /^[+-](?:0\d|1[0-4]):[0-5]\d$/;
const brokerPattern = /^[^\s:,]+:\d{1,5}$/;
const envReference = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export const connectorDefaults = { pollIntervalMs: 5000, batchSize: 500, timeZone: '+08:00' } as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Replaces ${NAME} in every string of the document; an unset variable is a problem at its key. */
function substitute(value: unknown, path: string, env: ConnectorEnv, problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(envReference, (_match, name: string) => {
      const v = env[name];
      if (v === undefined) {
        problems.push(`${path}: environment variable ${name} is not set`);
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, `${path}[${i}]`, env, problems));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, path ? `${path}.${k}` : k, env, problems)]));
  return value;
}

/** Collects every problem with the document, each naming its key, instead of failing at the first. */
class Checker {
  readonly problems: string[] = [];

  unknownKeys(obj: Json, path: string, known: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) this.problems.push(`${path ? `${path}.` : ''}${key}: unknown key (known: ${known.join(', ')})`);
    }
  }

  object(parent: Json, key: string, path: string): Json {
    const value = parent[key];
    if (isObject(value)) return value;
    this.problems.push(`${path}: ${value === undefined ? 'is missing' : 'must be an object'}`);
    return {};
  }

  string(parent: Json, key: string, path: string, test?: { pattern: RegExp; what: string }): string {
    const value = parent[key];
    if (typeof value !== 'string' || value.trim() === '') {
      this.problems.push(`${path}: ${value === undefined ? 'is missing' : 'must be a non-empty string'}`);
      return '';
    }
    if (test && !test.pattern.test(value)) this.problems.push(`${path}: ${test.what}, got ${JSON.stringify(value)}`);
    return value;
  }

  optionalString(parent: Json, key: string, path: string): string | null {
    return parent[key] === undefined || parent[key] === null ? null : this.string(parent, key, path);
  }

  integer(parent: Json, key: string, path: string, min: number, max: number, fallback: number): number {
    const value = parent[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${path}: must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return value;
  }

  url(parent: Json, key: string, path: string, protocols: readonly string[]): string {
    const value = this.string(parent, key, path);
    if (!value) return value;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.problems.push(`${path}: not a URL`);
      return value;
    }
    if (!protocols.includes(url.protocol)) this.problems.push(`${path}: must start with ${protocols.map((p) => `${p}//`).join(' or ')}, got ${url.protocol}//`);
    return value;
  }

  identifier(parent: Json, key: string, path: string): string {
    const value = this.string(parent, key, path);
    if (value && !isSafeIdentifier(value))
      this.problems.push(`${path}: ${JSON.stringify(value)} is not a plain column name (letters, digits, _ and $, at most 63)`);
    return value;
  }
}

const sourceProtocols: Record<SourceKind, readonly string[]> = { postgres: ['postgres:', 'postgresql:'], mariadb: ['mariadb:', 'mysql:'] };

/**
 * Validates a connector configuration document (already parsed JSON). `${NAME}` in any string is
 * replaced from `env`; every problem is reported at once, each naming its key.
 */
export function parseConnectorConfig(document: unknown, env: ConnectorEnv, origin = 'connector config'): ConnectorConfig {
  const c = new Checker();
  const fail = () => new HubError('HUB_ERR_CONFIG', `invalid ${origin}: ${c.problems.join('; ')}`);
  if (!isObject(document)) {
    c.problems.push('the document must be a JSON object');
    throw fail();
  }
  const doc = substitute(document, '', env, c.problems) as Json;
  c.unknownKeys(doc, '', ['id', 'department', 'dataset', 'source', 'mapping', 'kafka', 'registry', 'pollIntervalMs', 'batchSize']);
  const id = c.string(doc, 'id', 'id', { pattern: connectorIdPattern, what: 'must be lowercase letters, digits, _ and - (at most 63)' });
  const department = c.string(doc, 'department', 'department', {
    pattern: departmentNamePattern,
    what: 'must be a department name (lowercase letters, digits and -, no dots)',
  });
  const dataset = c.string(doc, 'dataset', 'dataset', { pattern: datasetIdPattern, what: 'must be a dataset id like base.natural_person' });

  const source = c.object(doc, 'source', 'source');
  c.unknownKeys(source, 'source', ['kind', 'url', 'table', 'cursor', 'where', 'timeZone']);
  const kind = source.kind;
  let sourceKind: SourceKind = 'postgres';
  if (kind === 'postgres' || kind === 'mariadb') sourceKind = kind;
  else c.problems.push(`source.kind: must be "postgres" or "mariadb", got ${JSON.stringify(kind)}`);
  const url = c.url(source, 'url', 'source.url', sourceProtocols[sourceKind]);
  const tableText = c.string(source, 'table', 'source.table');
  let table: TableName = { schema: null, name: tableText };
  if (tableText) {
    const parsed = parseTableName(tableText);
    if (parsed) table = parsed;
    else c.problems.push(`source.table: ${JSON.stringify(tableText)} is not a plain table name or schema.table`);
  }
  const cursorDoc = c.object(source, 'cursor', 'source.cursor');
  c.unknownKeys(cursorDoc, 'source.cursor', ['updatedAt', 'id']);
  const cursor: CursorColumns = {
    updatedAt: cursorDoc.updatedAt === undefined ? null : c.identifier(cursorDoc, 'updatedAt', 'source.cursor.updatedAt'),
    id: cursorDoc.id === undefined ? null : c.identifier(cursorDoc, 'id', 'source.cursor.id'),
  };
  if (isObject(source.cursor) && cursor.updatedAt === null && cursor.id === null) {
    c.problems.push('source.cursor: name an updatedAt column, an id column, or both (updatedAt + a unique id is best)');
  }
  const where = c.optionalString(source, 'where', 'source.where');
  // The condition is wrapped in parentheses inside the query: a ";" or a comment would escape them.
  if (where !== null && /;|--|\/\*/.test(where)) c.problems.push('source.where: must be one SQL condition, without ";" or comments');
  const timeZone =
    source.timeZone === undefined
      ? connectorDefaults.timeZone
      : c.string(source, 'timeZone', 'source.timeZone', { pattern: offsetPattern, what: 'must be a UTC offset like +08:00' });

  const mappingDoc = c.object(doc, 'mapping', 'mapping');
  const mapping: Record<string, string> = {};
  for (const field of Object.keys(mappingDoc)) mapping[field] = c.identifier(mappingDoc, field, `mapping.${field}`);
  if (isObject(doc.mapping) && Object.keys(mapping).length === 0) c.problems.push('mapping: map at least one dataset field to a column');

  const kafka = c.object(doc, 'kafka', 'kafka');
  c.unknownKeys(kafka, 'kafka', ['brokers', 'username', 'password']);
  let brokers: string[] = [];
  const rawBrokers = kafka.brokers;
  const list = typeof rawBrokers === 'string' ? rawBrokers.split(',').map((b) => b.trim()) : rawBrokers;
  if (Array.isArray(list) && list.length > 0 && list.every((b): b is string => typeof b === 'string' && brokerPattern.test(b))) brokers = list;
  else c.problems.push(`kafka.brokers: ${rawBrokers === undefined ? 'is missing' : 'must be a list of host:port'}`);
  const kafkaUser = c.string(kafka, 'username', 'kafka.username');
  const kafkaPassword = c.string(kafka, 'password', 'kafka.password');

  const registry = c.object(doc, 'registry', 'registry');
  c.unknownKeys(registry, 'registry', ['url', 'username', 'password']);
  const registryUrl = c.url(registry, 'url', 'registry.url', ['http:', 'https:']);
  const registryUser = c.string(registry, 'username', 'registry.username');
  const registryPassword = c.string(registry, 'password', 'registry.password');

  const pollIntervalMs = c.integer(doc, 'pollIntervalMs', 'pollIntervalMs', 10, 3_600_000, connectorDefaults.pollIntervalMs);
  const batchSize = c.integer(doc, 'batchSize', 'batchSize', 1, 10_000, connectorDefaults.batchSize);

  if (c.problems.length > 0) throw fail();
  return {
    id,
    department,
    dataset,
    source: { kind: sourceKind, url, table, cursor, where, timeZone },
    mapping,
    kafka: { brokers, username: kafkaUser, password: kafkaPassword },
    registry: { url: registryUrl.replace(/\/+$/, ''), username: registryUser, password: registryPassword },
    pollIntervalMs,
    batchSize,
  };
}

/** Reads and validates a connector's JSON file; `env` fills `${NAME}` references (the CLI passes its environment). */
export async function loadConnectorConfig(path: string, env: ConnectorEnv): Promise<ConnectorConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new HubError('HUB_ERR_CONFIG', `cannot read connector config ${path}: ${errorMessage(err)}`, { cause: err });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new HubError('HUB_ERR_CONFIG', `connector config ${path} is not valid JSON: ${errorMessage(err)}`, { cause: err });
  }
  return parseConnectorConfig(document, env, `connector config ${path}`);
}
