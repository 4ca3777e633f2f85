import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { Pool, PoolClient } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import type { DatasetSchema } from '../contract/dataset-schema.ts';
import type { CatalogEntry } from '../catalog/entry.ts';
import type { CatalogStore } from '../catalog/store.ts';
import { withTransaction } from '../platform/db/pool.ts';
import { parseEntrySchema } from '../catalog/entry.ts';
import { createRawRecordCheck, headerText } from '../contract/raw-record.ts';
import { ingestHeaders } from '../contract/headers.ts';
import { normalizeRecord } from './normalize.ts';
import { checkRecord, type Finding } from './rules/index.ts';
import { ensureLandingTables, landingTableOf, type LandingTable } from './landing/tables.ts';
import { appendHistory, readCurrent, upsertCurrent, type CurrentRow, type HistoryEntry } from './landing/rows.ts';
import { mergeRecord } from './merge.ts';
import { contentHash, type Dedup } from './dedup.ts';
import { enqueue, type OutboxRecord } from './outbox.ts';
import { cleanSchemaOf, toCleanValue } from './clean-schema.ts';
import { cleanTopic, qualityAlertsTopic, valueSubject } from '../contract/names.ts';
import { qualityAlertSchema, toAlertValue, type AlertSource, type AlertStore, type QualityAlert } from './alerts.ts';

/** What one chunk did, per category; the worker turns it into counters. */
export interface ChunkOutcome {
  dataset: string;
  provider: string;
  records: number;
  skipped: number;
  duplicates: number;
  invalid: number;
  warnings: number;
  conflicts: number;
  landed: number;
  rejectedRaw: number;
}

export interface PipelineOptions {
  pool: Pool;
  registry: RegistryClient;
  catalog: CatalogStore;
  alerts: AlertStore;
  dedup: Dedup;
  log: Logger;
  groupId: string;
  /** Postgres schemas of the landing databases are `${prefix}base` and `${prefix}theme`. */
  schemaPrefix: string;
  /** How long the authority map of a dataset is trusted (ms). */
  authorityTtlMs?: number;
}

export interface CleansingPipeline {
  /** Cleanses and lands one chunk of one partition, in offset order, in one transaction. */
  process(entry: CatalogEntry, partition: number, messages: readonly KafkaMessage[]): Promise<ChunkOutcome>;
  /** Drops cached schemas and authorities (after catalog changes). */
  forget(): void;
}

interface Prepared {
  schema: DatasetSchema;
  table: LandingTable;
  cleanSchemaId: number;
}

interface Candidate {
  message: KafkaMessage;
  key: string;
  original: Record<string, unknown>;
  value: Record<string, unknown>;
  findings: Finding[];
  hash: string;
}

export function createCleansingPipeline(options: PipelineOptions): CleansingPipeline {
  const { pool, registry, catalog, alerts, dedup, groupId, schemaPrefix } = options;
  const log = options.log.child({ module: 'cleansing' });
  const rawCheck = createRawRecordCheck({ registry });
  const prepared = new Map<number, Promise<Prepared>>();
  const authorities = new Map<string, { map: Map<string, string>; until: number }>();
  let alertSchemaId: Promise<number> | null = null;
  const authorityTtlMs = options.authorityTtlMs ?? 10_000;

  /** Per provider schema version: its landing tables exist (columns added on evolution) and its clean subject is registered. */
  const latestBySubject = new Map<string, { latest: Promise<{ id: number; schema: string }>; until: number }>();
  /**
   * The subject's latest schema, asked again after a few seconds, at once after forget(), and at
   * once when a record was written with a newer schema: nothing is landed with an older one.
   */
  async function latestOf(subject: string, newestWriterId: number): Promise<{ id: number; schema: string }> {
    const hit = latestBySubject.get(subject);
    if (hit && hit.until > Date.now() && (await hit.latest.catch(() => ({ id: -1 }))).id >= newestWriterId) return hit.latest;
    const latest = registry.latest(subject);
    latestBySubject.set(subject, { latest, until: Date.now() + 5000 });
    latest.catch(() => latestBySubject.delete(subject));
    return latest;
  }

  function prepare(entry: CatalogEntry, newestWriterId: number): Promise<Prepared> {
    return latestOf(entry.subject, newestWriterId).then((latest) => {
      let p = prepared.get(latest.id);
      if (!p) {
        p = (async () => {
          const schema = parseEntrySchema(entry.dataset, latest.schema);
          const table = landingTableOf(schema, schemaPrefix);
          const { addedColumns } = await ensureLandingTables({ pool, table });
          if (addedColumns.length > 0) log.info({ dataset: entry.dataset, columns: addedColumns }, 'landing table evolved');
          const cleanSchemaId = await registry.register(valueSubject(cleanTopic(entry.dataset)), cleanSchemaOf(schema));
          return { schema, table, cleanSchemaId };
        })();
        p.catch(() => prepared.delete(latest.id));
        prepared.set(latest.id, p);
      }
      return p;
    });
  }

  async function authorityOf(dataset: string): Promise<Map<string, string>> {
    const hit = authorities.get(dataset);
    if (hit && hit.until > Date.now()) return hit.map;
    const { entries } = await catalog.search({ dataset, limit: 500, offset: 0 });
    const map = new Map<string, string>();
    for (const e of entries) for (const f of e.authoritativeFields) map.set(f, e.provider);
    authorities.set(dataset, { map, until: Date.now() + authorityTtlMs });
    return map;
  }

  function sourceOf(entry: CatalogEntry, partition: number, m: KafkaMessage): AlertSource {
    return { provider: entry.provider, topic: entry.topic, partition, offset: m.offset };
  }

  function alert(partial: Omit<QualityAlert, 'id' | 'detectedAt' | 'status'>): QualityAlert {
    return { ...partial, id: randomUUID(), detectedAt: new Date().toISOString(), status: 'open' };
  }

  async function lockOffset(client: PoolClient, topic: string, partition: number): Promise<bigint> {
    await client.query('INSERT INTO cleansing_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING', [
      groupId,
      topic,
      partition,
    ]);
    const { rows } = await client.query<{ next_offset: string }>(
      'SELECT next_offset FROM cleansing_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3 FOR UPDATE',
      [groupId, topic, partition],
    );
    return BigInt(rows[0]?.next_offset ?? '0');
  }

  return {
    forget() {
      prepared.clear();
      latestBySubject.clear();
      authorities.clear();
      rawCheck.forget();
    },

    async process(entry, partition, messages) {
      const outcome: ChunkOutcome = {
        dataset: entry.dataset,
        provider: entry.provider,
        records: messages.length,
        skipped: 0,
        duplicates: 0,
        invalid: 0,
        warnings: 0,
        conflicts: 0,
        landed: 0,
        rejectedRaw: 0,
      };
      if (messages.length === 0) return outcome;
      const good: { message: KafkaMessage; value: Record<string, unknown> }[] = [];
      let newestWriterId = 0;
      for (const message of messages) {
        const verdict = await rawCheck.check(entry, message);
        // The raw-topic validator dead-letters these; cleansing only steps over them.
        if (!verdict.ok) {
          outcome.rejectedRaw++;
          continue;
        }
        newestWriterId = Math.max(newestWriterId, verdict.schemaId);
        good.push({ message, value: verdict.value });
      }
      const { schema, table, cleanSchemaId } = await prepare(entry, newestWriterId);
      const authority = await authorityOf(entry.dataset);
      alertSchemaId ??= registry.register(valueSubject(qualityAlertsTopic), qualityAlertSchema).catch((err: unknown) => {
        alertSchemaId = null;
        throw err;
      });
      const alertId = await alertSchemaId;
      const candidates: Candidate[] = good.map(({ message, value }) => {
        const normalized = normalizeRecord(schema.json, value);
        return {
          message,
          key: message.key?.toString() ?? '',
          original: value,
          value: normalized.value,
          findings: checkRecord(schema.json, normalized.value),
          hash: contentHash(value),
        };
      });

      // Fast path: drop what Redis already knows to be a retransmission, before any locking.
      const known = await dedup.fastPath(entry.dataset, entry.provider, [...new Set(candidates.map((c) => c.key))]);
      const seenInChunk = new Map<string, string>();
      const fresh = candidates.filter((c) => {
        const last = seenInChunk.get(c.key) ?? known.get(c.key);
        seenInChunk.set(c.key, c.hash);
        if (last === c.hash) {
          outcome.duplicates++;
          return false;
        }
        return true;
      });

      const lastOffset = messages[messages.length - 1]!.offset;
      const committedHashes = new Map<string, string>();
      await withTransaction(pool, async (client) => {
        const next = await lockOffset(client, entry.topic, partition);
        if (BigInt(lastOffset) < next) {
          outcome.skipped = messages.length;
          outcome.duplicates = 0;
          outcome.rejectedRaw = 0;
          return;
        }
        const todo = fresh.filter((c) => BigInt(c.message.offset) >= next);
        outcome.skipped = fresh.length - todo.length;
        const keys = [...new Set(todo.map((c) => c.key))];
        const truth = await dedup.truth(client, entry.dataset, entry.provider, keys);
        const current = await readCurrent(client, table, keys);
        const state = new Map<string, Omit<CurrentRow, 'version'> & { version: number }>([...current].map(([k, v]) => [k, v]));
        const changed = new Set<string>();
        const history: HistoryEntry[] = [];
        const newAlerts: QualityAlert[] = [];

        for (const c of todo) {
          if (truth.get(c.key) === c.hash) {
            outcome.duplicates++;
            continue;
          }
          truth.set(c.key, c.hash);
          committedHashes.set(c.key, c.hash);
          const source = sourceOf(entry, partition, c.message);
          const recordId = headerText(c.message.headers, ingestHeaders.recordId) ?? null;
          const eventTime = headerText(c.message.headers, ingestHeaders.eventTime) ?? null;
          const base = {
            key: c.key,
            values: c.value,
            original: c.original,
            provider: entry.provider,
            topic: entry.topic,
            partition,
            offset: c.message.offset,
            recordId,
            eventTime,
          };
          const errors = c.findings.filter((f) => f.severity === 'error');
          const warnings = c.findings.filter((f) => f.severity === 'warning');
          for (const f of c.findings) {
            newAlerts.push(
              alert({
                kind: f.severity === 'error' ? 'invalid' : 'warning',
                severity: f.severity,
                dataset: entry.dataset,
                key: c.key,
                fields: [f.field],
                values: [{ provider: entry.provider, field: f.field, value: f.value, authoritative: authority.get(f.field) === entry.provider }],
                rule: f.rule,
                message: f.message,
                sources: [source],
              }),
            );
          }
          if (errors.length > 0) {
            outcome.invalid++;
            history.push({ ...base, change: 'quarantined', findings: c.findings });
            continue;
          }
          if (warnings.length > 0) outcome.warnings++;
          const before = state.get(c.key);
          const merged = mergeRecord({
            key: c.key,
            current: before,
            incoming: { provider: entry.provider, values: c.value, source: { topic: entry.topic, partition, offset: c.message.offset, recordId, eventTime } },
            authorities: authority,
          });
          for (const conflict of merged.conflicts) {
            outcome.conflicts++;
            const { field, kept, other } = conflict;
            newAlerts.push(
              alert({
                kind: 'conflict',
                severity: 'warning',
                dataset: entry.dataset,
                key: c.key,
                fields: [field],
                values: [
                  { provider: kept.provider, field, value: kept.value, authoritative: kept.authoritative },
                  { provider: other.provider, field, value: other.value, authoritative: false },
                ],
                rule: kept.authoritative ? 'authoritative-source' : 'first-source',
                // No values in the message: a department's view redacts the other provider's values.
                message: conflict.replacedProvisional
                  ? `the authoritative source ${kept.provider} contradicts the provisional value of ${field} from ${other.provider}; the authoritative value replaces it`
                  : kept.authoritative
                    ? `${other.provider} disagrees on ${field} with the authoritative source ${kept.provider}; the authoritative value is kept`
                    : `${other.provider} disagrees on ${field} with ${kept.provider}, whose value came first and has no authoritative source yet; it is kept until the data authority decides`,
                sources: [
                  { provider: kept.provider, ...kept.source },
                  { provider: other.provider, ...other.source },
                ],
              }),
            );
          }
          history.push({ ...base, change: before === undefined ? 'insert' : merged.changed ? 'update' : 'no-change', findings: c.findings });
          if (merged.changed || before === undefined) {
            state.set(c.key, { ...merged.row, version: (before?.version ?? 0) + 1 });
            changed.add(c.key);
          } else {
            state.set(c.key, { ...merged.row, version: before.version });
          }
          outcome.landed++;
        }

        const rows = [...changed].map((k) => state.get(k)!);
        await upsertCurrent(
          client,
          table,
          rows.map(({ version: _v, ...r }) => r),
        );
        await appendHistory(client, table, history);
        await dedup.record(client, entry.dataset, entry.provider, committedHashes);
        await alerts.insert(client, newAlerts);
        const now = Date.now();
        const fields = schema.json.fields.map((f) => f.name);
        const outbox: OutboxRecord[] = [];
        for (const row of rows)
          outbox.push({
            topic: cleanTopic(entry.dataset),
            key: row.key,
            value: await registry.encode(cleanSchemaId, toCleanValue(row, fields, row.version, now)),
          });
        for (const a of newAlerts)
          outbox.push({
            topic: qualityAlertsTopic,
            key: `${a.dataset}|${a.key}`,
            value: await registry.encode(alertId, toAlertValue(a)),
            headers: { 'hub-alert-id': a.id },
          });
        await enqueue(client, outbox);
        await client.query(
          `INSERT INTO cleansing_counts (dataset, provider, records_in, duplicates, invalid, warnings, conflicts, landed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (dataset, provider) DO UPDATE SET records_in = cleansing_counts.records_in + $3, duplicates = cleansing_counts.duplicates + $4,
             invalid = cleansing_counts.invalid + $5, warnings = cleansing_counts.warnings + $6, conflicts = cleansing_counts.conflicts + $7,
             landed = cleansing_counts.landed + $8, updated_at = now()`,
          [
            entry.dataset,
            entry.provider,
            messages.length - outcome.skipped,
            outcome.duplicates,
            outcome.invalid,
            outcome.warnings,
            outcome.conflicts,
            outcome.landed,
          ],
        );
        await client.query('UPDATE cleansing_offsets SET next_offset = $4, updated_at = now() WHERE group_id = $1 AND topic = $2 AND partition = $3', [
          groupId,
          entry.topic,
          partition,
          (BigInt(lastOffset) + 1n).toString(),
        ]);
      });
      await dedup.remember(entry.dataset, entry.provider, committedHashes);
      return outcome;
    },
  };
}
