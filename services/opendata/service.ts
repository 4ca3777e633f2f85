import type { Readable } from 'node:stream';
import { to as copyTo } from 'pg-copy-streams';
import type { Pool, PoolClient } from '../platform/db/pool.ts';
import { quoteIdent } from '../platform/db/pool.ts';
import { HubError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import type { Principal } from '../principals/types.ts';
import type { AuditEvent } from '../audit/log.ts';
import type { CatalogService } from '../catalog/service.ts';
import type { CatalogEntry } from '../catalog/entry.ts';
import { landingTableOf } from '../cleansing/landing/tables.ts';
import { landedMark, readCurrentState } from '../cleansing/landing/reader.ts';
import { mostRestrictive, openValue, planHash, publishedFields, type OpenType, type PublishedField } from './policy.ts';
import { snapshotTable, type OpenDatasetRow, type OpenStore, type Snapshot } from './store.ts';
import type { Feedback, FeedbackKind, FeedbackStore } from './feedback-store.ts';

/** An open dataset as the portal shows it. */
export interface PortalDataset {
  dataset: string;
  title: string;
  description: string;
  openType: Exclude<OpenType, 'not_open'>;
  licence: string;
  owner: string;
  providers: string[];
  updateCycle: string;
  fields: { name: string; doc: string; desensitized: boolean }[];
  /** The snapshot served now; null until the first publication. */
  snapshot: { id: number; rows: number; publishedAt: string } | null;
  approvedAt: string;
}

export interface ProviderView extends OpenDatasetRow {
  /** What the portal applies now: the approved type capped by every provider's catalog entry. */
  effectiveOpenType: OpenType;
  downloads: { total: number; byFormat: Record<string, number> };
}

export type DownloadFormat = 'csv' | 'ndjson';

export interface Download {
  snapshot: Snapshot;
  stream: Readable;
}

export interface OpenDataService {
  /** The owner of a dataset asks to open it (or changes the terms); the authority reviews. */
  request(by: Principal, dataset: string, input: { openType: 'open' | 'on_application'; licence: string; description: string | null }): Promise<OpenDatasetRow>;
  review(by: Principal, dataset: string, decision: { approve: boolean; reason: string }): Promise<OpenDatasetRow>;
  /** The authority sees every request; a department those of datasets it owns. */
  forProvider(by: Principal): Promise<ProviderView[]>;
  /** What the public sees; a dataset not open (or not reviewed) is absent. */
  portal(): Promise<PortalDataset[]>;
  /** One open dataset; 404 when it is not open, exactly as when it does not exist. */
  visible(dataset: string): Promise<PortalDataset>;
  /** Republishes every open dataset whose landed data or field plan changed since its snapshot. */
  publishDue(): Promise<number>;
  publish(dataset: string): Promise<boolean>;
  download(dataset: string, format: DownloadFormat, options: { from: number; snapshot?: number }): Promise<Download>;
  feedback: {
    add(dataset: string, input: { kind: FeedbackKind; message: string; contact: string | null }): Promise<Feedback>;
    answered(dataset: string): Promise<Feedback[]>;
    forProvider(by: Principal, filter: { answered?: boolean }): Promise<Feedback[]>;
    answer(by: Principal, id: string, answer: string): Promise<Feedback>;
  };
}

const publishLock = 727_004;

const notOpen = (dataset: string) => new HubError('HUB_ERR_NOT_FOUND', `no open dataset "${dataset}"`);

export function createOpenDataService({
  pool,
  store,
  feedback,
  catalog,
  schemaPrefix,
  record,
  log,
  maxDownloads = 4,
}: {
  pool: Pool;
  maxDownloads?: number;
  store: OpenStore;
  feedback: FeedbackStore;
  catalog: CatalogService;
  schemaPrefix: string;
  record: (event: AuditEvent) => Promise<unknown>;
  log: Logger;
}): OpenDataService {
  let streaming = 0;
  const entriesOf = async (dataset: string): Promise<CatalogEntry[]> => (await catalog.search({ dataset, limit: 500, offset: 0 })).entries;

  async function effective(row: OpenDatasetRow, entries: readonly CatalogEntry[]): Promise<OpenType> {
    if (row.status !== 'approved' || entries.length === 0) return 'not_open';
    return mostRestrictive([row.openType, ...entries.map((e) => e.openType)]);
  }

  async function ownedBy(by: Principal, dataset: string): Promise<void> {
    const contract = await catalog.contract(dataset).catch(() => null);
    // Another department's dataset answers as a missing one.
    if (contract === null || (by.role === 'department' && contract.owner !== by.name)) {
      throw new HubError('HUB_ERR_NOT_FOUND', `no dataset "${dataset}" of ${by.name}`);
    }
  }

  async function toPortal(row: OpenDatasetRow): Promise<PortalDataset | null> {
    const entries = await entriesOf(row.dataset);
    const type = await effective(row, entries);
    if (type === 'not_open') return null;
    const schema = await catalog.contractOf(row.dataset);
    const contract = await catalog.contract(row.dataset);
    const owner = entries.find((e) => e.provider === contract.owner) ?? entries[0]!;
    const snapshot = row.snapshotId === null ? null : await store.snapshot(row.snapshotId);
    return {
      dataset: row.dataset,
      title: owner.name,
      description: row.description ?? owner.summary,
      openType: type,
      licence: row.licence,
      owner: contract.owner,
      providers: entries.map((e) => e.provider).sort(),
      updateCycle: owner.updateCycle,
      fields: publishedFields(schema).map((f) => ({ name: f.name, doc: f.doc, desensitized: f.mask !== null })),
      snapshot: snapshot && row.publishedAt ? { id: snapshot.id, rows: snapshot.rowCount, publishedAt: row.publishedAt } : null,
      approvedAt: row.reviewedAt ?? row.requestedAt,
    };
  }

  /** One instance publishes a dataset at a time: the others skip it while the lock is held. */
  async function publish(dataset: string): Promise<boolean> {
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [publishLock, dataset]);
      if (!rows[0]?.ok) return false;
      try {
        return await publishLocked(dataset);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [publishLock, dataset]);
      }
    } finally {
      client.release();
    }
  }

  async function publishLocked(dataset: string): Promise<boolean> {
    const row = await store.get(dataset);
    if (row === null || (await effective(row, await entriesOf(dataset))) === 'not_open') return false;
    const schema = await catalog.contractOf(dataset);
    const fields = publishedFields(schema);
    const table = landingTableOf(schema, schemaPrefix);
    const mark = `${planHash(fields)}:${await landedMark(pool, table)}`;
    if (row.sourceMark === mark && row.snapshotId !== null) return false;
    const id = await store.startSnapshot(dataset, fields, mark);
    try {
      let n = 0;
      for await (const page of readCurrentState(pool, table, 2000)) {
        const rows = page.map((r) => Object.fromEntries(fields.map((f) => [f.name, openValue(f, r.values[f.name])])));
        await store.appendRows(id, n + 1, rows);
        n += rows.length;
      }
      await store.finishSnapshot(id, dataset, n, mark);
      log.info({ dataset, snapshot: id, rows: n }, 'open dataset published');
      return true;
    } catch (err) {
      await store.discardSnapshot(id).catch(() => undefined);
      throw err;
    }
  }

  async function visible(dataset: string): Promise<PortalDataset> {
    const row = await store.get(dataset);
    const shown = row === null ? null : await toPortal(row);
    if (shown === null) throw notOpen(dataset);
    return shown;
  }

  function copySql(snapshot: Snapshot, format: DownloadFormat, from: number): string {
    const source = `${snapshotTable(snapshot.id)} WHERE n >= ${from} ORDER BY n`;
    if (format === 'ndjson') {
      // jsonb text never holds a raw newline, \x01 or \x02: CSV mode with those as delimiter and quote writes each line as it is.
      return `COPY (SELECT row::text FROM ${source}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')`;
    }
    const columns = snapshot.fields.map((f: PublishedField) => `row->>'${f.name}' AS ${quoteIdent(f.name)}`);
    return `COPY (SELECT ${columns.join(', ')} FROM ${source}) TO STDOUT WITH (FORMAT csv, HEADER true)`;
  }

  return {
    async request(by, dataset, input) {
      await ownedBy(by, dataset);
      const row = await store.request({ dataset, ...input, by: by.name });
      await record({
        actor: by.name,
        actorRole: by.role,
        action: 'open.requested',
        method: 'api',
        subjectProvider: by.name,
        datasets: [dataset],
        detail: { openType: input.openType, licence: input.licence },
      });
      return row;
    },
    async review(by, dataset, { approve, reason }) {
      const current = await store.get(dataset);
      if (current === null) throw new HubError('HUB_ERR_NOT_FOUND', `no open-data request for ${dataset}`);
      if (current.status !== 'pending') throw new HubError('HUB_ERR_CONFLICT', `the request to open ${dataset} was already ${current.status}`);
      const row = await store.review(dataset, { approve, reason, by: by.name });
      await record({
        actor: by.name,
        actorRole: by.role,
        action: approve ? 'open.approved' : 'open.rejected',
        method: 'api',
        approver: by.name,
        subjectProvider: current.requestedBy,
        datasets: [dataset],
        detail: { reason, openType: row.openType },
      });
      return row;
    },
    async forProvider(by) {
      const all = await store.list();
      const mine = [];
      for (const row of all) {
        if (by.role === 'department' && (await catalog.contract(row.dataset).catch(() => null))?.owner !== by.name) continue;
        mine.push(row);
      }
      const downloads = await store.downloads(mine.map((r) => r.dataset));
      return Promise.all(
        mine.map(async (row) => ({
          ...row,
          effectiveOpenType: await effective(row, await entriesOf(row.dataset)),
          downloads: downloads.get(row.dataset) ?? { total: 0, byFormat: {} },
        })),
      );
    },
    async portal() {
      const rows = await store.list({ status: 'approved' });
      return (await Promise.all(rows.map(toPortal))).filter((d): d is PortalDataset => d !== null);
    },
    visible,
    publish,
    async publishDue() {
      let published = 0;
      for (const row of await store.list({ status: 'approved' })) {
        try {
          if (await publish(row.dataset)) published++;
        } catch (err) {
          log.warn({ err, dataset: row.dataset }, 'open dataset publication failed; retrying on the next tick');
        }
      }
      return published;
    },
    async download(dataset, format, { from, snapshot }) {
      const shown = await visible(dataset);
      const id = snapshot ?? shown.snapshot?.id;
      const snap = id === undefined ? null : await store.snapshot(id);
      if (snap === null || snap.dataset !== dataset) {
        throw snapshot === undefined
          ? new HubError('HUB_ERR_NOT_READY', `${dataset} is being published for the first time; try again shortly`)
          : new HubError('HUB_ERR_GONE', `snapshot ${snapshot} of ${dataset} has been replaced; download the current one`);
      }
      // A grade raised (or a field's masking changed) since the snapshot applies at once, not at the next publication.
      if (planHash(publishedFields(await catalog.contractOf(dataset))) !== planHash(snap.fields)) {
        void publish(dataset).catch((err: unknown) => log.warn({ err, dataset }, 'open dataset republication failed'));
        throw new HubError('HUB_ERR_NOT_READY', `${dataset} is being republished after a change to its fields; try again shortly`);
      }
      // Each download holds a Postgres connection while it streams: a few at a time, so that the public cannot starve the hub.
      if (streaming >= maxDownloads) {
        throw new HubError('HUB_ERR_RATE_LIMITED', `too many downloads under way on this server (at most ${maxDownloads}); retry shortly`);
      }
      streaming++;
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        streaming--;
        throw err;
      }
      let released = false;
      const release = (err?: Error) => {
        if (released) return;
        released = true;
        streaming--;
        // A COPY cut short leaves the connection mid-protocol: it is closed, not reused.
        client.release(err);
      };
      const stream = client.query(copyTo(copySql(snap, format, from)));
      stream.on('end', () => release());
      stream.on('error', (err) => release(err));
      stream.on('close', () => release(released ? undefined : new Error('download ended early')));
      await store.countDownload(dataset, format).catch((err: unknown) => log.warn({ err, dataset }, 'download not counted'));
      return { snapshot: snap, stream };
    },
    feedback: {
      async add(dataset, input) {
        await visible(dataset);
        return feedback.add({ dataset, ...input });
      },
      async answered(dataset) {
        await visible(dataset);
        return feedback.list({ datasets: [dataset], answered: true, limit: 200 });
      },
      async forProvider(by, { answered }) {
        const datasets = (await store.list()).map((r) => r.dataset);
        const mine = [];
        for (const d of datasets) if (by.role !== 'department' || (await catalog.contract(d).catch(() => null))?.owner === by.name) mine.push(d);
        return feedback.list({ datasets: mine, ...(answered === undefined ? {} : { answered }), limit: 500 });
      },
      async answer(by, id, text) {
        const item = await feedback.get(id);
        if (item === null) throw new HubError('HUB_ERR_NOT_FOUND', `no feedback ${id}`);
        await ownedBy(by, item.dataset).catch(() => {
          throw new HubError('HUB_ERR_NOT_FOUND', `no feedback ${id}`);
        });
        const answered = await feedback.answer(id, text, by.name);
        await record({
          actor: by.name,
          actorRole: by.role,
          action: 'open.feedback_answered',
          method: 'api',
          subjectProvider: by.name,
          datasets: [item.dataset],
          detail: { feedback: id },
        });
        return answered;
      },
    },
  };
}
