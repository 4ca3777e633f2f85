import pg from 'pg';
import type { Pool, PoolClient } from '../platform/db/pool.ts';
import { HubError } from '../platform/errors.ts';
import { auditHash, genesisHash } from './hash.ts';
import { readFile, rename, writeFile } from 'node:fs/promises';

type Head = { seq: number; hash: string };

async function readHead(file: string): Promise<Head | null> {
  try {
    const head = JSON.parse(await readFile(file, 'utf8')) as Partial<Head>;
    return typeof head.seq === 'number' && typeof head.hash === 'string' ? { seq: head.seq, hash: head.hash } : null;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null;
    throw err;
  }
}

async function writeHead(file: string, head: Head): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify(head)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

/** One thing that happened: who (actor), what (action), whose data, for what, approved by whom, how. */
export interface AuditEvent {
  /** The principal name. */
  actor: string;
  actorRole: string;
  /** Dotted, lower case: 'grant.created'. */
  action: string;
  /** How: 'api', 'kafka', 'verification', ... */
  method: string;
  purpose?: string | null;
  approver?: string | null;
  /** The department whose data this is about. */
  subjectProvider?: string | null;
  datasets?: readonly string[];
  fields?: readonly string[];
  /** JSON only: what it cannot represent is dropped, as JSON.stringify does. */
  detail?: Readonly<Record<string, unknown>>;
}

export interface AuditRecord {
  seq: number;
  /** ISO 8601, UTC, microseconds. */
  at: string;
  actor: string;
  actorRole: string;
  action: string;
  purpose: string | null;
  approver: string | null;
  subjectProvider: string | null;
  datasets: string[];
  fields: string[];
  detail: Record<string, unknown>;
  method: string;
  prevHash: string;
  hash: string;
}

export interface AuditFilter {
  actor?: string;
  /** Exact, or a prefix ending in '.*' ('grant.*'). */
  action?: string;
  provider?: string;
  /** Inclusive lower bound (ISO date-time). */
  from?: string;
  /** Exclusive upper bound (ISO date-time). */
  to?: string;
  limit?: number;
  offset?: number;
}

export interface AuditProblem {
  seq: number;
  problem: string;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  problems: AuditProblem[];
  /** The last row: publishing it elsewhere also makes a cut-off tail detectable. */
  head: { seq: number; hash: string } | null;
}

/** Who used a provider's data, for what and how, grouped; newest first. */
export interface AuditUse {
  actor: string;
  actorRole: string;
  action: string;
  purpose: string | null;
  method: string;
  datasets: string[];
  count: number;
  firstAt: string;
  lastAt: string;
}

export interface AuditLog {
  /** Appends in db's transaction when db is a client inside one (the row commits or rolls back with it); otherwise in its own. */
  append(db: Pool | PoolClient, event: AuditEvent): Promise<AuditRecord>;
  /** Walks the whole chain in seq order in one snapshot. */
  verify(): Promise<AuditVerification>;
  /** Every row in [from, to), oldest first, a page at a time, to `each`; returns how many. */
  export(range: { from?: string; to?: string }, each: (record: AuditRecord) => void | Promise<void>): Promise<number>;
  /** Writes the latest committed row's seq and hash to the head file (outside the database); call it on a timer. */
  keepHead(): Promise<{ seq: number; hash: string } | null>;
  list(filter: AuditFilter): Promise<{ total: number; records: AuditRecord[] }>;
  usageOf(provider: string, filter?: Omit<AuditFilter, 'provider'>): Promise<{ provider: string; total: number; uses: AuditUse[]; records: AuditRecord[] }>;
}

// The advisory lock's first key; the second is the schema, so separate hubs in one database do not wait on each other.
const appendLock = 727_002;
const verifyBatch = 1000;
const actionPattern = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const isoUtc = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;
const columns = `seq::text AS seq, to_char(at AT TIME ZONE 'UTC', ${isoUtc}) AS at, actor, actor_role, action, purpose, approver,
  subject_provider, datasets, fields, detail, method, prev_hash, hash, keyed`;

interface Row {
  seq: string;
  at: string;
  actor: string;
  actor_role: string;
  action: string;
  purpose: string | null;
  approver: string | null;
  subject_provider: string | null;
  datasets: string[];
  fields: string[];
  detail: Record<string, unknown>;
  method: string;
  prev_hash: string;
  hash: string;
  keyed: boolean;
}

function toRecord(r: Row): AuditRecord {
  return {
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor,
    actorRole: r.actor_role,
    action: r.action,
    purpose: r.purpose,
    approver: r.approver,
    subjectProvider: r.subject_provider,
    datasets: r.datasets,
    fields: r.fields,
    detail: r.detail,
    method: r.method,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

function invalid(message: string): HubError {
  return new HubError('HUB_ERR_VALIDATION', `audit event: ${message}`);
}

function normalize(e: AuditEvent): Omit<AuditRecord, 'seq' | 'at' | 'prevHash' | 'hash'> {
  if (!e.actor) throw invalid('actor is required');
  if (!e.actorRole) throw invalid('actorRole is required');
  if (!e.method) throw invalid('method is required');
  if (!actionPattern.test(e.action)) throw invalid(`action "${e.action}" must be dotted lower case, like grant.created`);
  // Hash what Postgres will give back: jsonb keeps JSON values only.
  const detail = JSON.parse(JSON.stringify(e.detail ?? {})) as unknown;
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) throw invalid('detail must be an object');
  return {
    actor: e.actor,
    actorRole: e.actorRole,
    action: e.action,
    purpose: e.purpose ?? null,
    approver: e.approver ?? null,
    subjectProvider: e.subjectProvider ?? null,
    datasets: [...(e.datasets ?? [])],
    fields: [...(e.fields ?? [])],
    detail: detail as Record<string, unknown>,
    method: e.method,
  };
}

/** Must run inside a transaction: the lock holds until it ends, so appends form one line. */
async function insert(client: PoolClient, content: ReturnType<typeof normalize>, key: string | undefined): Promise<AuditRecord> {
  const [record] = await insertMany(client, [content], key);
  return record!;
}

const headSql = `SELECT last.seq::text AS seq, last.hash, to_char(clock_timestamp() AT TIME ZONE 'UTC', ${isoUtc}) AS at
  FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) last ON true`;

const insertSql =
  'INSERT INTO audit_log (seq, at, actor, actor_role, action, purpose, approver, subject_provider, datasets, fields, detail, method, prev_hash, hash, keyed)';

type ChainHead = { seq: string | null; hash: string | null; at: string };

/** Several rows chained in order under one lock and one INSERT, in the caller's transaction. */
async function insertMany(client: PoolClient, contents: readonly ReturnType<typeof normalize>[], key: string | undefined): Promise<AuditRecord[]> {
  const {
    rows: [tx],
  } = await client.query<{ isolation: string }>(
    `SELECT pg_advisory_xact_lock($1, hashtext(current_schema())), current_setting('transaction_isolation') AS isolation`,
    [appendLock],
  );
  // A snapshot older than the lock could miss the last row and fork the chain.
  if (tx?.isolation !== 'read committed') throw new HubError('HUB_ERR_INTERNAL', `audit appends need a READ COMMITTED transaction, not ${tx?.isolation}`);
  const {
    rows: [head],
  } = await client.query<ChainHead>(headSql);
  return insertChained(client, head, contents, key);
}

/**
 * A group commit's own transaction in two round trips: BEGIN, the lock and the head in one simple
 * query (each statement its own READ COMMITTED snapshot, the head's taken after the lock), then the
 * INSERT and the COMMIT in another.
 */
async function insertGroup(db: Pool, contents: readonly ReturnType<typeof normalize>[], key: string | undefined): Promise<AuditRecord[]> {
  const client = await db.connect();
  try {
    const results = (await client.query(
      `BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(${appendLock}, hashtext(current_schema())), current_setting('transaction_isolation') AS isolation; ${headSql}`,
    )) as unknown as [unknown, { rows: { isolation: string }[] }, { rows: ChainHead[] }];
    const isolation = results[1]?.rows[0]?.isolation;
    // A connection handed back inside a transaction would make BEGIN a no-op and the head's snapshot older than the lock.
    if (isolation !== 'read committed') throw new HubError('HUB_ERR_INTERNAL', `audit appends need a READ COMMITTED transaction, not ${isolation}`);
    return await insertChained(client, results[2]?.rows[0], contents, key, true);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function insertChained(
  client: PoolClient,
  head: ChainHead | undefined,
  contents: readonly ReturnType<typeof normalize>[],
  key: string | undefined,
  commit = false,
): Promise<AuditRecord[]> {
  if (!head) throw new HubError('HUB_ERR_INTERNAL', 'audit append: no clock');
  const records: AuditRecord[] = [];
  let prevHash = head.hash ?? genesisHash;
  let seq = head.seq === null ? 0 : Number(head.seq);
  for (const content of contents) {
    seq += 1;
    const unhashed = { seq, at: head.at, ...content, prevHash };
    const record: AuditRecord = { ...unhashed, hash: auditHash(unhashed, key) };
    records.push(record);
    prevHash = record.hash;
  }
  if (commit) {
    // The INSERT and the COMMIT in one simple query (one round trip); a simple query takes no parameters, so every value is a quoted literal.
    const lit = (v: string | null) => (v === null ? 'NULL' : client.escapeLiteral(v));
    const arr = (a: readonly string[]) => `ARRAY[${a.map(lit).join(', ')}]::text[]`;
    const row = (r: AuditRecord) =>
      `(${r.seq}, ${lit(r.at)}::timestamptz, ${lit(r.actor)}, ${lit(r.actorRole)}, ${lit(r.action)}, ${lit(r.purpose)}, ${lit(r.approver)}, ${lit(r.subjectProvider)}, ${arr(r.datasets)}, ${arr(r.fields)}, ${lit(JSON.stringify(r.detail))}::jsonb, ${lit(r.method)}, ${lit(r.prevHash)}, ${lit(r.hash)}, ${key !== undefined})`;
    await client.query(`${insertSql} VALUES ${records.map(row).join(', ')}; COMMIT`);
    return records;
  }
  const columnsOf = (r: AuditRecord) => [
    r.seq,
    r.at,
    r.actor,
    r.actorRole,
    r.action,
    r.purpose,
    r.approver,
    r.subjectProvider,
    r.datasets,
    r.fields,
    JSON.stringify(r.detail),
    r.method,
    r.prevHash,
    r.hash,
    key !== undefined,
  ];
  const width = 15;
  await client.query(
    `${insertSql}
     VALUES ${records.map((_, i) => `(${Array.from({ length: width }, (_, j) => `$${i * width + j + 1}${j === 1 ? '::timestamptz' : ''}`).join(', ')})`).join(', ')}`,
    records.flatMap(columnsOf),
  );
  return records;
}

async function appendOnClient(client: PoolClient, content: ReturnType<typeof normalize>, key: string | undefined): Promise<AuditRecord> {
  let own = false;
  try {
    await client.query('SAVEPOINT hub_audit_append');
  } catch (err) {
    // 25P01: not in a transaction, so this append is its own.
    if ((err as { code?: string }).code !== '25P01') throw err;
    own = true;
    await client.query('BEGIN');
  }
  try {
    const record = await insert(client, content, key);
    await client.query(own ? 'COMMIT' : 'RELEASE SAVEPOINT hub_audit_append');
    return record;
  } catch (err) {
    await client.query(own ? 'ROLLBACK' : 'ROLLBACK TO SAVEPOINT hub_audit_append').catch(() => undefined);
    throw err;
  }
}

function where(filter: AuditFilter): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    clauses.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.actor) add('actor = ?', filter.actor);
  if (filter.action?.endsWith('.*'))
    add(
      "action LIKE ? || '%'",
      filter.action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`),
    );
  else if (filter.action) add('action = ?', filter.action);
  if (filter.provider) add('subject_provider = ?', filter.provider);
  if (filter.from) add('at >= ?::timestamptz', filter.from);
  if (filter.to) add('at < ?::timestamptz', filter.to);
  return { sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/**
 * `key`: the chain's HMAC key (auditChainKey of the state folder's secret); rows are then keyed, and
 * verify() refuses a plain row after a keyed one. `headFile`: where the last seen head is kept
 * outside the database; verify() checks the trail still holds it (catches rows cut from the end).
 */
export function createAuditLog({ pool, key, headFile }: { pool: Pool; key?: string; headFile?: string }): AuditLog {
  /**
   * Group commit: appends made while a commit is under way wait for the next one and go in
   * together (one lock, one INSERT, one commit); each caller resolves once its row is durable.
   */
  const queues = new Map<Pool, { content: ReturnType<typeof normalize>; resolve: (r: AuditRecord) => void; reject: (e: unknown) => void }[]>();
  const busy = new Set<Pool>();
  const maxGroup = 500;
  async function flush(db: Pool): Promise<void> {
    busy.add(db);
    try {
      for (;;) {
        const queue = queues.get(db) ?? [];
        const group = queue.splice(0, maxGroup);
        if (group.length === 0) return;
        try {
          const records = await insertGroup(
            db,
            group.map((g) => g.content),
            key,
          );
          for (const [i, g] of group.entries()) g.resolve(records[i]!);
        } catch (err) {
          for (const g of group) g.reject(err);
        }
      }
    } finally {
      busy.delete(db);
    }
  }
  function groupCommit(db: Pool, content: ReturnType<typeof normalize>): Promise<AuditRecord> {
    return new Promise((resolve, reject) => {
      const queue = queues.get(db) ?? [];
      queue.push({ content, resolve, reject });
      queues.set(db, queue);
      if (!busy.has(db)) void flush(db);
    });
  }

  async function list(filter: AuditFilter): Promise<{ total: number; records: AuditRecord[] }> {
    const { sql, params } = where(filter);
    const n = params.length;
    const [
      {
        rows: [count],
      },
      { rows },
    ] = await Promise.all([
      pool.query<{ total: string }>(`SELECT count(*) AS total FROM audit_log ${sql}`, params),
      pool.query<Row>(`SELECT ${columns} FROM audit_log ${sql} ORDER BY audit_log.seq DESC LIMIT $${n + 1} OFFSET $${n + 2}`, [
        ...params,
        filter.limit ?? 100,
        filter.offset ?? 0,
      ]),
    ]);
    return { total: Number(count?.total ?? 0), records: rows.map(toRecord) };
  }

  return {
    async append(db, event) {
      const content = normalize(event);
      // On its own transaction an append joins the next group commit; in the caller's it is part of that.
      if (db instanceof pg.Pool) return groupCommit(db, content);
      return appendOnClient(db, content, key);
    },

    async verify() {
      const client = await pool.connect();
      const problems: AuditProblem[] = [];
      let checked = 0;
      let prev: { seq: number; hash: string } | null = null;
      let keyedSeen = false;
      const known = headFile ? await readHead(headFile) : null;
      let knownFound = false;
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        for (;;) {
          const { rows } = await client.query<Row>(
            `SELECT ${columns} FROM audit_log WHERE $1::bigint IS NULL OR seq > $1::bigint ORDER BY audit_log.seq LIMIT $2`,
            [prev?.seq ?? null, verifyBatch],
          );
          for (const row of rows) {
            const r = toRecord(row);
            if (known && r.seq === known.seq) {
              knownFound = true;
              if (r.hash !== known.hash)
                problems.push({ seq: r.seq, problem: 'the row differs from the head kept outside the database: the trail was rewritten' });
            }
            const expected = prev ? prev.seq + 1 : 1;
            if (r.seq > expected)
              problems.push({
                seq: r.seq,
                problem: r.seq - 1 === expected ? `row ${expected} is missing (deleted)` : `rows ${expected}-${r.seq - 1} are missing (deleted)`,
              });
            else if (r.seq < expected) problems.push({ seq: r.seq, problem: `seq out of order: expected ${expected} (row inserted)` });
            if (r.prevHash !== (prev?.hash ?? genesisHash)) {
              problems.push({
                seq: r.seq,
                problem: `prev_hash does not match the hash of ${prev ? `row ${prev.seq}` : 'the genesis'}: a row before it was inserted, deleted or rewritten`,
              });
            }
            if (row.keyed) {
              keyedSeen = true;
              if (key === undefined)
                problems.push({ seq: r.seq, problem: 'the row is keyed and this check has no key: run it where the hub keeps its state folder' });
              else if (auditHash(r, key) !== r.hash) problems.push({ seq: r.seq, problem: 'hash does not match the row content: the row was changed' });
            } else if (keyedSeen || key !== undefined) {
              // Once the hub keys its chain, a plain row can only come from someone without the key.
              if (keyedSeen) problems.push({ seq: r.seq, problem: 'a row without the chain key after keyed rows: the trail was rewritten without the key' });
              if (auditHash(r) !== r.hash) problems.push({ seq: r.seq, problem: 'hash does not match the row content: the row was changed' });
            } else if (auditHash(r) !== r.hash) problems.push({ seq: r.seq, problem: 'hash does not match the row content: the row was changed' });
            checked += 1;
            prev = { seq: r.seq, hash: r.hash };
          }
          if (rows.length < verifyBatch) break;
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
      if (known && !knownFound)
        problems.push({ seq: known.seq, problem: `row ${known.seq}, the head kept outside the database, is missing: rows were cut from the end` });
      return { ok: problems.length === 0, checked, problems, head: prev };
    },

    async export(range, each) {
      const { sql, params } = where(range);
      let after = 0;
      let n = 0;
      for (;;) {
        const clause = sql ? `${sql} AND seq > $${params.length + 1}` : `WHERE seq > $${params.length + 1}`;
        const { rows } = await pool.query<Row>(`SELECT ${columns} FROM audit_log ${clause} ORDER BY seq LIMIT $${params.length + 2}`, [
          ...params,
          after,
          verifyBatch,
        ]);
        for (const row of rows) await each(toRecord(row));
        n += rows.length;
        if (rows.length < verifyBatch) return n;
        after = Number(rows[rows.length - 1]!.seq);
      }
    },

    async keepHead() {
      if (!headFile) return null;
      const { rows } = await pool.query<{ seq: string; hash: string }>('SELECT seq::text AS seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
      const head = rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : null;
      const kept = await readHead(headFile);
      // Only forward: a head behind the one kept (or another chain) is not written over it.
      if (head && (!kept || head.seq > kept.seq)) await writeHead(headFile, head);
      return head;
    },

    list,

    async usageOf(provider, filter = {}) {
      const scoped = { ...filter, provider };
      const { sql, params } = where(scoped);
      const [{ total, records }, { rows }] = await Promise.all([
        list(scoped),
        pool.query<{
          actor: string;
          actor_role: string;
          action: string;
          purpose: string | null;
          method: string;
          datasets: string[];
          count: number;
          first_at: string;
          last_at: string;
        }>(
          `SELECT a.actor, a.actor_role, a.action, a.purpose, a.method,
             array_remove(array_agg(DISTINCT d.name), NULL) AS datasets, count(DISTINCT a.seq)::int AS count,
             to_char(min(a.at) AT TIME ZONE 'UTC', ${isoUtc}) AS first_at, to_char(max(a.at) AT TIME ZONE 'UTC', ${isoUtc}) AS last_at
           FROM (SELECT * FROM audit_log ${sql}) a LEFT JOIN LATERAL unnest(a.datasets) AS d(name) ON true
           GROUP BY a.actor, a.actor_role, a.action, a.purpose, a.method
           ORDER BY max(a.at) DESC, a.actor, a.action`,
          params,
        ),
      ]);
      const uses = rows.map((u) => ({
        actor: u.actor,
        actorRole: u.actor_role,
        action: u.action,
        purpose: u.purpose,
        method: u.method,
        datasets: u.datasets,
        count: u.count,
        firstAt: u.first_at,
        lastAt: u.last_at,
      }));
      return { provider, total, uses, records };
    },
  };
}
