import { withTransaction, type Pool, type PoolClient } from '../platform/db/pool.ts';
import type { CatalogElements, CatalogEntry, CatalogField } from './entry.ts';

interface EntryRow {
  id: string;
  dataset: string;
  provider: string;
  topic: string;
  subject: string;
  schema_id: number;
  entry: { elements: CatalogElements; fields: CatalogField[] };
  version: number;
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
  authoritativeFields: r.entry.elements.authoritativeFields ?? [],
  fields: r.entry.fields,
  version: r.version,
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
  change: { kind: 'created' | 'updated'; by: string; reason: string; jurisdiction: string; deadline: string; deadlineBasis: string };
}

export interface CatalogSearch {
  text?: string;
  provider?: string;
  shareType?: string;
  classification?: string;
  dataset?: string;
  limit: number;
  offset: number;
}

const columns = 'id, dataset, provider, topic, subject, schema_id, entry, version, created_at, updated_at';

export interface CatalogStore {
  byId(id: string): Promise<CatalogEntry | null>;
  byProviderDataset(provider: string, dataset: string): Promise<CatalogEntry | null>;
  /** Inserts (version 1) or updates (version + 1, only from `expectedVersion`) and records the version. */
  save(entry: SaveEntry, expectedVersion: number | null): Promise<CatalogEntry>;
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
    byId: (id) => one(`SELECT ${columns} FROM catalog_entries WHERE id = $1`, [id]),
    byProviderDataset: (provider, dataset) => one(`SELECT ${columns} FROM catalog_entries WHERE provider = $1 AND dataset = $2`, [provider, dataset]),
    save: (e, expectedVersion) =>
      withTransaction(pool, async (client) => {
        const payload = JSON.stringify({ elements: e.elements, fields: e.fields });
        const values = [e.id, e.dataset, e.provider, e.topic, e.subject, e.schemaId, e.elements.name, e.elements.summary, e.elements.classificationCode, e.elements.shareType, e.elements.openType, e.elements.updateCycle, e.elements.grade, payload];
        const saved =
          expectedVersion === null
            ? await one(
                `INSERT INTO catalog_entries (id, dataset, provider, topic, subject, schema_id, name, summary, classification_code, share_type, open_type, update_cycle, grade, entry, version)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1) RETURNING ${columns}`,
                values,
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
          [e.id, saved.version, payload, e.schemaId, e.change.kind, e.change.by, e.change.reason, e.change.jurisdiction, e.change.deadline, e.change.deadlineBasis],
        );
        return saved;
      }),
    async search(q) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, value: unknown) => {
        params.push(value);
        where.push(sql.replaceAll('?', `$${params.length}`));
      };
      if (q.text) add("(name ILIKE '%' || ? || '%' OR summary ILIKE '%' || ? || '%' OR dataset ILIKE '%' || ? || '%')", q.text);
      if (q.provider) add('provider = ?', q.provider);
      if (q.shareType) add('share_type = ?', q.shareType);
      if (q.classification) add("classification_code LIKE ? || '%'", q.classification);
      if (q.dataset) add('dataset = ?', q.dataset);
      const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const total = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM catalog_entries ${filter}`, params);
      const { rows } = await pool.query<EntryRow>(`SELECT ${columns} FROM catalog_entries ${filter} ORDER BY id LIMIT ${q.limit} OFFSET ${q.offset}`, params);
      return { total: Number(total.rows[0]?.n ?? 0), entries: rows.map(toEntry) };
    },
    async versions(id) {
      const { rows } = await pool.query<{ version: number; change_kind: 'created' | 'updated'; changed_by: string; changed_at: Date; reason: string; jurisdiction: string; deadline: string; deadline_basis: string; schema_id: number; entry: { elements: CatalogElements; fields: CatalogField[] } }>(
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
      const { rows } = await pool.query<EntryRow>(`SELECT ${columns} FROM catalog_entries ORDER BY id`);
      return rows.map(toEntry);
    },
  };
}
