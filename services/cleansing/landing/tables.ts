import pg from 'pg';
import { quoteIdent, withTransaction, type Pool, type PoolClient } from '../../platform/db/pool.ts';
import { HubError } from '../../platform/errors.ts';
import type { DatasetSchema } from '../../contract/dataset-schema.ts';
import { canonicalPgType, pgTypes, type ColumnKind } from './column-types.ts';
import { type FieldType, typeOfField } from '../../contract/field-kind.ts';

export interface LandingColumn {
  field: string;
  column: string;
  pgType: string;
  kind: ColumnKind;
  /** The field's Chinese doc, written as the column comment. */
  doc?: string;
}

export interface LandingTable {
  schema: string;
  table: string;
  history: string;
  dataset: string;
  columns: LandingColumn[];
  /** The record's Chinese doc, written as the table comment. */
  doc?: string;
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

function checkIdentifier(dataset: string, what: string, name: string): string {
  if (!identifier.test(name)) throw new HubError('HUB_ERR_CONFIG', `${dataset}: ${what} "${name}" is not a valid Postgres identifier (${identifier.source})`);
  return name;
}

/** A field's landing column kind, from its one classification (field-kind.ts); null when it cannot be one flat column. */
function kindOf(type: FieldType): ColumnKind | null {
  switch (type.kind) {
    case 'string':
    case 'int':
    case 'long':
    case 'double':
    case 'boolean':
    case 'enum':
    case 'date':
      return type.kind;
    case 'float':
      return 'double';
    case 'timestamp-millis':
      return 'timestamp';
    default:
      return null;
  }
}

/** Postgres schema = `${schemaPrefix}${layer}` (layer base|theme), table = the dataset's name part (base.natural_person -> natural_person), history = `${table}_history`. */
export function landingTableOf(dataset: DatasetSchema, schemaPrefix: string): LandingTable {
  const id = dataset.dataset;
  const name = id.slice(id.indexOf('.') + 1);
  const schema = checkIdentifier(id, 'schema', `${schemaPrefix}${dataset.layer}`);
  const table = checkIdentifier(id, 'table', name);
  const history = checkIdentifier(id, 'history table', `${name}_history`);
  const columns = dataset.json.fields.map((field): LandingColumn => {
    const column = checkIdentifier(id, `column of field ${field.name}`, field.name);
    if (column.startsWith('_')) throw new HubError('HUB_ERR_CONFIG', `${id}: field "${field.name}": names starting with "_" are reserved for landing metadata`);
    const kind = kindOf(typeOfField(dataset.json, field.name));
    if (kind === null)
      throw new HubError(
        'HUB_ERR_CONFIG',
        `${id}: field "${field.name}" has type ${JSON.stringify(field.type)}, which a landing table cannot hold as one column`,
      );
    return { field: field.name, column, pgType: pgTypes[kind], kind, doc: field.doc };
  });
  return { schema, table, history, dataset: id, columns, doc: dataset.json.doc };
}

// Any fixed number works; the second key is the Postgres schema, so all landing DDL in one schema is serialised.
const ddlLockClass = 727_002;

const currentMetadata: Readonly<Record<string, string>> = {
  _key: '业务主键（businessKey 各字段值以 | 连接）',
  _lineage: '字段血缘：每个来源（提供部门、主题、分区、偏移量、记录标识、事件时间、是否权威、是否暂存）及其提供的字段',
  _provisional: '暂存（待确认）字段名列表',
  _version: '版本号：每次实际变更加一',
  _landed_at: '首次入库时间',
  _updated_at: '最近一次实际变更时间',
};

const historyMetadata: Readonly<Record<string, string>> = {
  _history_id: '历史记录序号',
  _key: '业务主键（businessKey 各字段值以 | 连接）',
  _original: '接收时的原始记录（规范化之前）',
  _provider: '提供部门',
  _topic: '来源 Kafka 主题',
  _partition: '来源分区',
  _offset: '来源偏移量',
  _record_id: '来源记录标识（hub-record-id）',
  _event_time: '事件时间（hub-event-time）',
  _change: '变更类型：insert 新增，update 更新，no-change 无变化，quarantined 隔离',
  _findings: '清洗发现的问题',
  _landed_at: '入库时间',
};

interface ExistingTable {
  comment: string | null;
  columns: Map<string, { type: string; comment: string | null }>;
}

async function describeTables(client: PoolClient, schema: string, names: readonly string[]): Promise<Map<string, ExistingTable>> {
  const { rows } = await client.query<{ relname: string; table_comment: string | null; attname: string; type: string; column_comment: string | null }>(
    `SELECT c.relname, obj_description(c.oid, 'pg_class') AS table_comment, a.attname,
            format_type(a.atttypid, a.atttypmod) AS type, col_description(c.oid, a.attnum) AS column_comment
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p')`,
    [schema, names],
  );
  const out = new Map<string, ExistingTable>();
  for (const r of rows) {
    let t = out.get(r.relname);
    if (t === undefined) {
      t = { comment: r.table_comment, columns: new Map() };
      out.set(r.relname, t);
    }
    t.columns.set(r.attname, { type: r.type, comment: r.column_comment });
  }
  return out;
}

function fieldColumnsSql(table: LandingTable): string[] {
  return table.columns.map((c) => `${quoteIdent(c.column)} ${c.pgType}`);
}

function createCurrentSql(table: LandingTable, qualified: string): string {
  return `CREATE TABLE ${qualified} (
    _key text PRIMARY KEY,
    ${[...fieldColumnsSql(table), ''].join(',\n    ')}_lineage jsonb NOT NULL,
    _provisional text[] NOT NULL DEFAULT '{}',
    _version bigint NOT NULL,
    _landed_at timestamptz NOT NULL DEFAULT now(),
    _updated_at timestamptz NOT NULL
  )`;
}

function createHistorySql(table: LandingTable, qualified: string): string {
  return `CREATE TABLE ${qualified} (
    _history_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    _key text NOT NULL,
    ${[...fieldColumnsSql(table), ''].join(',\n    ')}_original jsonb NOT NULL,
    _provider text NOT NULL,
    _topic text NOT NULL,
    _partition integer NOT NULL,
    _offset bigint NOT NULL,
    _record_id text,
    _event_time timestamptz,
    _change text NOT NULL CHECK (_change IN ('insert', 'update', 'no-change', 'quarantined')),
    _findings jsonb NOT NULL DEFAULT '[]',
    _landed_at timestamptz NOT NULL DEFAULT now()
  )`;
}

/** The trigger refuses per statement, so even an UPDATE or DELETE matching no row fails loudly. */
function appendOnlySql(schema: string, qualifiedHistory: string): string[] {
  const fn = `${quoteIdent(schema)}.landing_history_append_only`;
  return [
    `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       RAISE EXCEPTION 'history is append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
         USING HINT = 'government data is never silently changed; append a new entry instead';
     END $$`,
    `CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${qualifiedHistory} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
    `CREATE INDEX ON ${qualifiedHistory} (_key, _history_id)`,
  ];
}

function requireLandingTable(table: LandingTable, name: string, existing: ExistingTable, marker: string): void {
  if (!existing.columns.has(marker)) {
    throw new HubError('HUB_ERR_CONFLICT', `${table.dataset}: ${table.schema}.${name} exists but is not a landing table (no ${marker} column)`);
  }
}

/** Compares the schema's columns with an existing table: the fields to add; a retype throws. */
function missingColumns(table: LandingTable, name: string, existing: ExistingTable): LandingColumn[] {
  const missing: LandingColumn[] = [];
  for (const c of table.columns) {
    const have = existing.columns.get(c.column);
    if (have === undefined) missing.push(c);
    else if (have.type !== canonicalPgType(c.pgType)) {
      throw new HubError(
        'HUB_ERR_CONFLICT',
        `${table.dataset}: field "${c.field}" is ${have.type} in ${table.schema}.${name} but the schema makes it ${canonicalPgType(c.pgType)} (${c.kind}); a field's type never changes, add a new field instead`,
      );
    }
  }
  return missing;
}

/** COMMENT statements for what is missing or changed (docs may be refined between schema versions). */
function commentSql(
  table: LandingTable,
  qualified: string,
  existing: ExistingTable | undefined,
  tableDoc: string | undefined,
  metadata: Readonly<Record<string, string>>,
): string[] {
  const out: string[] = [];
  if (tableDoc !== undefined && existing?.comment !== tableDoc) out.push(`COMMENT ON TABLE ${qualified} IS ${pg.escapeLiteral(tableDoc)}`);
  const wanted = Object.entries(metadata);
  for (const c of table.columns) if (c.doc !== undefined) wanted.push([c.column, c.doc]);
  for (const [column, doc] of wanted) {
    if (existing?.columns.get(column)?.comment === doc) continue;
    out.push(`COMMENT ON COLUMN ${qualified}.${quoteIdent(column)} IS ${pg.escapeLiteral(doc)}`);
  }
  return out;
}

/** Creates the schema, the current-state table and the history table if missing; adds (nullable) columns for fields new in this schema version; never drops or retypes a column (a retype is an error naming the field). Safe to run concurrently from several processes (advisory lock). Returns the columns it added. */
export async function ensureLandingTables({ pool, table }: { pool: Pool; table: LandingTable }): Promise<{ created: boolean; addedColumns: string[] }> {
  const schema = quoteIdent(table.schema);
  const current = `${schema}.${quoteIdent(table.table)}`;
  const history = `${schema}.${quoteIdent(table.history)}`;
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ddlLockClass, table.schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    const before = await describeTables(client, table.schema, [table.table, table.history]);
    const statements: string[] = [];
    const added = new Set<string>();

    const existingCurrent = before.get(table.table);
    if (existingCurrent === undefined) statements.push(createCurrentSql(table, current));
    else {
      requireLandingTable(table, table.table, existingCurrent, '_lineage');
      for (const c of missingColumns(table, table.table, existingCurrent)) {
        statements.push(`ALTER TABLE ${current} ADD COLUMN ${quoteIdent(c.column)} ${c.pgType}`);
        added.add(c.field);
      }
    }
    const existingHistory = before.get(table.history);
    if (existingHistory === undefined) statements.push(createHistorySql(table, history), ...appendOnlySql(table.schema, history));
    else {
      requireLandingTable(table, table.history, existingHistory, '_history_id');
      for (const c of missingColumns(table, table.history, existingHistory)) {
        statements.push(`ALTER TABLE ${history} ADD COLUMN ${quoteIdent(c.column)} ${c.pgType}`);
        added.add(c.field);
      }
    }
    statements.push(...commentSql(table, current, existingCurrent, table.doc, currentMetadata));
    const historyDoc = table.doc === undefined ? undefined : `${table.doc}（变更历史，只追加）`;
    statements.push(...commentSql(table, history, existingHistory, historyDoc, historyMetadata));

    // One round trip: no parameters, so the simple protocol runs them all in this transaction.
    if (statements.length > 0) await client.query(statements.join(';\n'));
    return { created: existingCurrent === undefined, addedColumns: table.columns.filter((c) => added.has(c.field)).map((c) => c.field) };
  });
}
