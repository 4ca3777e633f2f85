import type { KafkaMessage } from 'kafkajs';
import type { Pool } from '../platform/db/pool.ts';
import { withTransaction } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import { createRawRecordCheck } from '../contract/raw-record.ts';
import type { CatalogEntry } from '../catalog/entry.ts';
import type { CatalogStore } from '../catalog/store.ts';
import type { AlertStore } from './alerts.ts';
import type { Dedup } from './dedup.ts';
import { readCurrent } from './landing/rows.ts';
import { enqueue } from './outbox.ts';
import type { ProgressStore } from './progress-store.ts';
import { checkChunk } from './stages/check.ts';
import { decodeChunk } from './stages/decode.ts';
import { dropKnownRetransmissions } from './stages/dedup.ts';
import { landChunk } from './stages/land.ts';
import { mergeChunk } from './stages/merge.ts';
import { createPreparation } from './stages/prepare.ts';
import { outboxRecords } from './stages/publish.ts';

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
  progress: ProgressStore;
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

export interface CleansingPipeline {
  /** Cleanses and lands one chunk of one partition, in offset order, in one transaction. */
  process(entry: CatalogEntry, partition: number, messages: readonly KafkaMessage[]): Promise<ChunkOutcome>;
  /** Drops cached schemas and authorities (after catalog changes). */
  forget(): void;
}

/**
 * One chunk of one raw partition, in offset order: decode, normalize and check, drop known
 * retransmissions, then in one transaction (which locks the partition's offset) merge, land,
 * record alerts and the outbox, and advance the offset and counts. Each step is a module of stages/.
 */
export function createCleansingPipeline(options: PipelineOptions): CleansingPipeline {
  const { pool, registry, alerts, dedup, progress } = options;
  const rawCheck = createRawRecordCheck({ registry });
  const preparation = createPreparation({
    pool,
    registry,
    catalog: options.catalog,
    schemaPrefix: options.schemaPrefix,
    log: options.log.child({ module: 'cleansing' }),
    ...(options.authorityTtlMs === undefined ? {} : { authorityTtlMs: options.authorityTtlMs }),
  });

  return {
    forget() {
      preparation.forget();
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
      const decoded = await decodeChunk(rawCheck, entry, messages);
      outcome.rejectedRaw = decoded.rejected;
      const { schema, table, cleanSchemaId } = await preparation.schemaOf(entry, decoded.newestWriterId);
      const authorities = await preparation.authoritiesOf(entry.dataset);
      const alertSchemaId = await preparation.alertSchemaId();
      const { fresh, duplicates } = await dropKnownRetransmissions(dedup, entry, checkChunk(schema, decoded.good));
      outcome.duplicates = duplicates;

      const lastOffset = BigInt(messages[messages.length - 1]!.offset);
      let taken = new Map<string, string>();
      await withTransaction(pool, async (client) => {
        const next = await progress.lock(client, entry.topic, partition);
        if (lastOffset < next) {
          Object.assign(outcome, { skipped: messages.length, duplicates: 0, rejectedRaw: 0 });
          return;
        }
        const todo = fresh.filter((c) => BigInt(c.message.offset) >= next);
        outcome.skipped = fresh.length - todo.length;
        const keys = [...new Set(todo.map((c) => c.key))];
        const merged = mergeChunk({
          source: { dataset: entry.dataset, provider: entry.provider, topic: entry.topic, partition },
          todo,
          truth: await dedup.truth(client, entry.dataset, entry.provider, keys),
          current: await readCurrent(client, table, keys),
          authorities,
        });
        outcome.duplicates += merged.duplicates;
        Object.assign(outcome, { invalid: merged.invalid, warnings: merged.warnings, conflicts: merged.conflicts, landed: merged.landed });
        await landChunk(client, table, merged.rows, merged.history);
        await dedup.record(client, entry.dataset, entry.provider, merged.taken);
        const raised = await alerts.insert(client, merged.alerts);
        const fields = schema.json.fields.map((f) => f.name);
        await enqueue(
          client,
          await outboxRecords({ registry, dataset: entry.dataset, fields, rows: merged.rows, cleanSchemaId, alerts: raised, alertSchemaId }),
        );
        await progress.advance(client, {
          topic: entry.topic,
          partition,
          nextOffset: lastOffset + 1n,
          dataset: entry.dataset,
          provider: entry.provider,
          counts: { ...outcome, recordsIn: messages.length - outcome.skipped },
        });
        taken = merged.taken;
      });
      await dedup.remember(entry.dataset, entry.provider, taken);
      return outcome;
    },
  };
}
