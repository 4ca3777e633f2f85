import { withTransaction, type Pool, type PoolClient } from '../platform/db/pool.ts';
import type { CatalogElements, CatalogEntry, CatalogField, EntryStatus, Enrolment } from './entry.ts';

interface EntryRow {
  id: string;
  dataset: string;
  provider: string;
  topic: string;
  subject: string;
  schema_id: number;
  entry: { elements: CatalogElements; fields: CatalogField[] };
  version: number;
  status: EntryStatus;
  enrolment: Enrolment | null;
  authorities: Record<string, string> | null;
  created_at: Date;
  updated_at: Date;
}

const toEntry = (r: EntryRow): CatalogEntry => ({
  id: r.id,
  dataset: r.dataset,
  provider: r.provider,
  topic: r.topic,
  subject: r.subject,
  schemaId: r.schema_id,
  ...r.entry.elements,
  // The contract is the one record of who is authoritative for what; the entry only shows it.
  authoritativeFields: r.entry.fields.map((f) => f.name).filter((f) => r.authorities?.[f] === r.provider),
  fields: r.entry.fields,
  version: r.version,
  status: r.status,
  enrolment: r.enrolment,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export interface EntryVersion {
  version: number;
  changeKind: 'created' | 'updated';
  changedBy: string;
  changedAt: string;
  reason: string;
  jurisdiction: string;
  deadline: string;
  deadlineBasis: string;
  schemaId: number;
  entry: CatalogElements & { fields: CatalogField[] };
}

export interface SaveEntry {
  id: string;
  dataset: string;
  provider: string;
  topic: string;
  subject: string;
  schemaId: number;
  elements: CatalogElements;
  fields: CatalogField[];
  status?: EntryStatus;
  enrolment?: Enrolment | null;
  change: { kind: 'created' | 'updated'; by: string; reason: string; jurisdiction: string; deadline: string; deadlineBasis: string };
}

export interface CatalogSearch {
  /** Active entries unless asked otherwise. */
  status?: EntryStatus | 'any';
  text?: string;
  provider?: string;
  shareType?: string;
  classification?: string;
  dataset?: string;
  limit: number;
  offset: number;
}

const columns = 'id, dataset, provider, topic, subject, schema_id, entry, version, status, enrolment, created_at, updated_at';
const select = `SELECT e.id, e.dataset, e.provider, e.topic, e.subject, e.schema_id, e.entry, e.version, e.status, e.enrolment, e.created_at, e.updated_at, c.authorities
  FROM catalog_entries e LEFT JOIN dataset_contracts c ON c.dataset = e.dataset`;

export interface CatalogStore {
  byId(id: string): Promise<CatalogEntry | null>;
  byProviderDataset(provider: string, dataset: string): Promise<CatalogEntry | null>;
  /** Inserts (version 1) or updates (version + 1, only from `expectedVersion`) and records the version. */
  save(entry: SaveEntry, expectedVersion: number | null, client?: PoolClient): Promise<CatalogEntry>;
  /** Ends a pending enrolment: active (approved) or refused. Null when it was not pending. */
  setEnrolment(id: string, status: 'active' | 'refused', enrolment: Enrolment, client?: PoolClient): Promise<CatalogEntry | null>;
  search(q: CatalogSearch): Promise<{ total: number; entries: CatalogEntry[] }>;
  versions(id: string): Promise<EntryVersion[]>;
  all(): Promise<CatalogEntry[]>;
}

export function createCatalogStore({ pool }: { pool: Pool }): CatalogStore {
  const one = async (sql: string, params: unknown[], client: Pool | PoolClient = pool) => {
    const { rows } = await client.query<EntryRow>(sql, params);
    return rows[0] ? toEntry(rows[0]) : null;
  };
  return {
    byId: (id) => one(`${select} WHERE e.id = $1`, [id]),
    byProviderDataset: (provider, dataset) => one(`${select} WHERE e.provider = $1 AND e.dataset = $2`, [provider, dataset]),
    async setEnrolment(id, status, enrolment, client) {
      const db = client ?? pool;
      const { rowCount } = await db.query(`UPDATE catalog_entries SET status = $2, enrolment = $3, updated_at = now() WHERE id = $1 AND status = 'pending'`, [
        id,
        status,
        JSON.stringify(enrolment),
      ]);
      return rowCount === 1 ? one(`${select} WHERE e.id = $1`, [id], db) : null;
    },
    save: (e, expectedVersion, outer) => {
      const run = async (client: PoolClient) => {
        const payload = JSON.stringify({ elements: e.elements, fields: e.fields });
        const values = [
          e.id,
          e.dataset,
          e.provider,
          e.topic,
          e.subject,
          e.schemaId,
          e.elements.name,
          e.elements.summary,
          e.elements.classificationCode,
          e.elements.shareType,
          e.elements.openType,
          e.elements.updateCycle,
          e.elements.grade,
          payload,
        ];
        const saved =
          expectedVersion === null
            ? await one(
                `INSERT INTO catalog_entries (id, dataset, provider, topic, subject, schema_id, name, summary, classification_code, share_type, open_type, update_cycle, grade, entry, version, status, enrolment)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $16) RETURNING ${columns}`,
                [...values, e.status ?? 'active', e.enrolment ? JSON.stringify(e.enrolment) : null],
                client,
              )
            : await one(
                `UPDATE catalog_entries SET schema_id = $6, name = $7, summary = $8, classification_code = $9, share_type = $10, open_type = $11,
                   update_cycle = $12, grade = $13, entry = $14, version = version + 1, updated_at = now()
                 WHERE id = $1 AND dataset = $2 AND provider = $3 AND topic = $4 AND subject = $5 AND version = $15 RETURNING ${columns}`,
                [...values, expectedVersion],
                client,
              );
        if (!saved) throw Object.assign(new Error('version conflict'), { code: 'HUB_VERSION_CONFLICT' });
        await client.query(
          `INSERT INTO catalog_entry_versions (entry_id, version, entry, schema_id, change_kind, changed_by, reason, jurisdiction, deadline, deadline_basis)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
            e.id,
            saved.version,
            payload,
            e.schemaId,
            e.change.kind,
            e.change.by,
            e.change.reason,
            e.change.jurisdiction,
            e.change.deadline,
            e.change.deadlineBasis,
          ],
        );
        return (await one(`${select} WHERE e.id = $1`, [e.id], client)) ?? saved;
      };
      return outer ? run(outer) : withTransaction(pool, run);
    },
    async search(q) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, value: unknown) => {
        params.push(value);
        where.push(sql.replaceAll('?', `$${params.length}`));
      };
      if (q.text) add("(e.name ILIKE '%' || ? || '%' OR e.summary ILIKE '%' || ? || '%' OR e.dataset ILIKE '%' || ? || '%')", q.text);
      if (q.provider) add('e.provider = ?', q.provider);
      if (q.shareType) add('e.share_type = ?', q.shareType);
      if (q.classification) add("e.classification_code LIKE ? || '%'", q.classification);
      if (q.dataset) add('e.dataset = ?', q.dataset);
      if (q.status !== 'any') add('e.status = ?', q.status ?? 'active');
      const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const total = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM catalog_entries e ${filter}`, params);
      const { rows } = await pool.query<EntryRow>(`${select} ${filter} ORDER BY e.id LIMIT ${q.limit} OFFSET ${q.offset}`, params);
      return { total: Number(total.rows[0]?.n ?? 0), entries: rows.map(toEntry) };
    },
    async versions(id) {
      const { rows } = await pool.query<{
        version: number;
        change_kind: 'created' | 'updated';
        changed_by: string;
        changed_at: Date;
        reason: string;
        jurisdiction: string;
        deadline: string;
        deadline_basis: string;
        schema_id: number;
        entry: { elements: CatalogElements; fields: CatalogField[] };
      }>(
        `SELECT version, change_kind, changed_by, changed_at, reason, jurisdiction, to_char(deadline, 'YYYY-MM-DD') AS deadline, deadline_basis, schema_id, entry
         FROM catalog_entry_versions WHERE entry_id = $1 ORDER BY version`,
        [id],
      );
      return rows.map((r) => ({
        version: r.version,
        changeKind: r.change_kind,
        changedBy: r.changed_by,
        changedAt: r.changed_at.toISOString(),
        reason: r.reason,
        jurisdiction: r.jurisdiction,
        deadline: r.deadline,
        deadlineBasis: r.deadline_basis,
        schemaId: r.schema_id,
        entry: { ...r.entry.elements, fields: r.entry.fields },
      }));
    },
    async all() {
      const { rows } = await pool.query<EntryRow>(`${select} WHERE e.status = 'active' ORDER BY e.id`);
      return rows.map(toEntry);
    },
  };
}
