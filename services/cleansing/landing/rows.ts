import { createHash } from 'node:crypto';
import { quoteIdent, type PoolClient } from '../../platform/db/pool.ts';
import { HubError } from '../../platform/errors.ts';
import { fromColumnSql, fromWire, toColumnSql, toWire, wireTypeOf } from './column-types.ts';
import { packLineage, unpackLineage, type StoredLineage } from './lineage.ts';
import type { LandingTable } from './tables.ts';

export interface FieldLineage {
  provider: string;
  topic: string;
  partition: number;
  offset: string;
  recordId: string | null;
  eventTime: string | null;
  authoritative: boolean;
  provisional: boolean;
}

export interface CurrentRow {
  key: string;
  values: Record<string, unknown>;
  lineage: Record<string, FieldLineage>;
  provisional: string[];
  version: number;
}

export interface HistoryEntry {
  key: string;
  values: Record<string, unknown>;
  original: Record<string, unknown>;
  provider: string;
  topic: string;
  partition: number;
  offset: string;
  recordId: string | null;
  eventTime: string | null;
  change: 'insert' | 'update' | 'no-change' | 'quarantined';
  findings: unknown[];
}

/** Rows per statement: bounds one statement's JSON document (about 1.5 KiB a row). */
const chunkRows = 5000;
const changes: ReadonlySet<string> = new Set(['insert', 'update', 'no-change', 'quarantined']);

function qualified(table: LandingTable, name: string): string {
  return `${quoteIdent(table.schema)}.${quoteIdent(name)}`;
}

/** A named statement per distinct text: each connection parses and plans it once. */
function statement(prefix: string, text: string, values: unknown[]): { name: string; text: string; values: unknown[] } {
  return { name: `${prefix}_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text, values };
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += chunkRows) out.push(items.slice(i, i + chunkRows));
  return out;
}

interface WireColumn {
  /** The key in each row's JSON object and the name in the recordset. */
  name: string;
  wireType: string;
  /** SQL from u.<name> to the stored value. */
  sql: string;
}

/**
 * The rows travel as one JSON array and come apart in json_to_recordset: one parameter whatever the
 * batch size, and no per-value escaping in JavaScript (pg's array literals took the client twice the CPU).
 */
function recordsetSql(columns: readonly WireColumn[]): string {
  return `json_to_recordset($1::json) AS u(${columns.map((c) => `${quoteIdent(c.name)} ${c.wireType}`).join(', ')})`;
}

function fieldWireColumns(table: LandingTable): WireColumn[] {
  return table.columns.map((c) => ({ name: c.column, wireType: wireTypeOf(c.kind), sql: toColumnSql(c.kind, `u.${quoteIdent(c.column)}`) }));
}

/** The row's field values as wire values, keyed by column, checked against each column's kind. */
function wireValues(table: LandingTable, key: string, values: Record<string, unknown>, into: Record<string, unknown>): Record<string, unknown> {
  for (const c of table.columns) {
    try {
      into[c.column] = toWire(c.kind, values[c.field]);
    } catch (err) {
      throw new HubError('HUB_ERR_INTERNAL', `${table.dataset} key ${key}, field "${c.field}": ${(err as Error).message}`);
    }
  }
  return into;
}

/** Current rows for these keys, locked FOR UPDATE, values converted back to Avro-style values (date -> days int, timestamptz -> epoch ms, bigint -> number). */
export async function readCurrent(client: PoolClient, table: LandingTable, keys: readonly string[]): Promise<Map<string, CurrentRow>> {
  const out = new Map<string, CurrentRow>();
  if (keys.length === 0) return out;
  const columns = table.columns.map((c) => `${fromColumnSql(c.kind, `t.${quoteIdent(c.column)}`)} AS ${quoteIdent(c.column)}`);
  // Sorted, so that two transactions locking overlapping keys take the locks in the same order.
  const text = `SELECT t._key, ${columns.join(', ')}, t._lineage, t._provisional, t._version::text AS _version
    FROM ${qualified(table, table.table)} t WHERE t._key = ANY($1::text[]) ORDER BY t._key FOR UPDATE`;
  const { rows } = await client.query<Record<string, unknown>>(statement('landing_read', text, [keys]));
  for (const r of rows) {
    const key = r._key as string;
    const values: Record<string, unknown> = {};
    for (const c of table.columns) values[c.field] = fromWire(c.kind, r[c.column], `${table.dataset} key ${key}, field "${c.field}"`);
    out.set(key, {
      key,
      values,
      lineage: unpackLineage<FieldLineage>(r._lineage as StoredLineage),
      provisional: r._provisional as string[],
      version: Number(r._version),
    });
  }
  return out;
}

/** One multi-row INSERT ... ON CONFLICT (_key) DO UPDATE (chunked if very large), version+1 on a real change, untouched when nothing differs. */
export async function upsertCurrent(
  client: PoolClient,
  table: LandingTable,
  rows: readonly Omit<CurrentRow, 'version'>[],
): Promise<{ inserted: number; updated: number; unchanged: number }> {
  const result = { inserted: 0, updated: 0, unchanged: 0 };
  if (rows.length === 0) return result;
  const seen = new Set<string>();
  for (const r of rows) {
    if (seen.has(r.key))
      throw new HubError('HUB_ERR_INTERNAL', `${table.dataset}: key ${r.key} appears twice in one upsert; merge a key's records before landing them`);
    seen.add(r.key);
  }

  const fields = table.columns.map((c) => quoteIdent(c.column));
  const inputs: WireColumn[] = [
    { name: '_key', wireType: 'text', sql: 'u._key' },
    ...fieldWireColumns(table),
    { name: '_lineage', wireType: 'jsonb', sql: 'u._lineage' },
    { name: '_provisional', wireType: 'text[]', sql: 'u._provisional' },
  ];
  const compared = [...fields, '_lineage', '_provisional'];
  const text = `INSERT INTO ${qualified(table, table.table)} AS t (_key, ${fields.join(', ')}, _lineage, _provisional, _version, _updated_at)
    SELECT ${inputs.map((c) => c.sql).join(', ')}, 1, now()
      FROM ${recordsetSql(inputs)}
    ON CONFLICT (_key) DO UPDATE SET ${compared.map((c) => `${c} = excluded.${c}`).join(', ')}, _version = t._version + 1, _updated_at = excluded._updated_at
      WHERE (${compared.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${compared.map((c) => `excluded.${c}`).join(', ')})
    RETURNING (t.xmax = 0) AS inserted`;

  const order = table.columns.map((c) => c.field);
  for (const chunk of chunks(rows)) {
    const wire = chunk.map((r) => wireValues(table, r.key, r.values, { _key: r.key, _lineage: packLineage(r.lineage, order), _provisional: r.provisional }));
    const { rows: written } = await client.query<{ inserted: boolean }>(statement('landing_upsert', text, [JSON.stringify(wire)]));
    const inserted = written.filter((w) => w.inserted).length;
    result.inserted += inserted;
    result.updated += written.length - inserted;
    result.unchanged += chunk.length - written.length;
  }
  return result;
}

/** Append-only: one multi-row INSERT; the history table has no UPDATE/DELETE path in code and a trigger that refuses UPDATE and DELETE (government data is never silently changed, Quanzhou 8(2)). */
export async function appendHistory(client: PoolClient, table: LandingTable, entries: readonly HistoryEntry[]): Promise<void> {
  if (entries.length === 0) return;
  for (const e of entries) {
    if (!changes.has(e.change))
      throw new HubError('HUB_ERR_INTERNAL', `${table.dataset} key ${e.key}: history change "${String(e.change)}" is not one of ${[...changes].join(', ')}`);
    if (!/^\d+$/.test(e.offset)) throw new HubError('HUB_ERR_INTERNAL', `${table.dataset} key ${e.key}: offset "${e.offset}" is not a Kafka offset`);
  }
  const meta: WireColumn[] = [
    { name: '_original', wireType: 'jsonb', sql: 'u._original' },
    { name: '_provider', wireType: 'text', sql: 'u._provider' },
    { name: '_topic', wireType: 'text', sql: 'u._topic' },
    { name: '_partition', wireType: 'int4', sql: 'u._partition' },
    { name: '_offset', wireType: 'int8', sql: 'u._offset' },
    { name: '_record_id', wireType: 'text', sql: 'u._record_id' },
    { name: '_event_time', wireType: 'timestamptz', sql: 'u._event_time' },
    { name: '_change', wireType: 'text', sql: 'u._change' },
    { name: '_findings', wireType: 'jsonb', sql: 'u._findings' },
  ];
  const inputs: WireColumn[] = [{ name: '_key', wireType: 'text', sql: 'u._key' }, ...fieldWireColumns(table), ...meta];
  const text = `INSERT INTO ${qualified(table, table.history)} (${inputs.map((c) => quoteIdent(c.name)).join(', ')})
    SELECT ${inputs.map((c) => c.sql).join(', ')} FROM ${recordsetSql(inputs)}`;

  for (const chunk of chunks(entries)) {
    const wire = chunk.map((e) =>
      wireValues(table, e.key, e.values, {
        _key: e.key,
        _original: e.original,
        _provider: e.provider,
        _topic: e.topic,
        _partition: e.partition,
        _offset: e.offset,
        _record_id: e.recordId,
        _event_time: e.eventTime,
        _change: e.change,
        _findings: e.findings,
      }),
    );
    await client.query(statement('landing_history', text, [JSON.stringify(wire)]));
  }
}
