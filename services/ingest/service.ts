import type { RegistryClient } from '../platform/registry-client.ts';
import type { CatalogService } from '../catalog/service.ts';
import { parseEntrySchema } from '../catalog/entry.ts';
import { createRecordCoercer, type FieldError, type RecordCoercer } from '../contract/coerce.ts';
import type { PublishRecord, RawPublisher, RawTarget } from './publisher.ts';
import type { IngestPath } from '../contract/headers.ts';
import type { IngestMetrics } from './metrics.ts';

export interface RejectedRecord {
  /** Position in the batch (0-based) for HTTP, line number (1-based) for files. */
  index: number;
  errors: FieldError[];
}

export interface BatchResult {
  dataset: string;
  topic: string;
  accepted: number;
  rejected: RejectedRecord[];
}

export interface ResolvedTarget {
  target: RawTarget;
  coercer: RecordCoercer;
}

export interface IngestService {
  /** The raw topic, schema and coercer for a provider's dataset (cached briefly, dropped on catalog change). */
  resolve(provider: string, dataset: string): Promise<ResolvedTarget>;
  /** Checks every record, publishes the valid ones with acks=all, and lists the rest with their reasons. */
  ingest(
    resolved: ResolvedTarget,
    records: readonly unknown[],
    path: IngestPath,
    options?: { text?: boolean; firstIndex?: number },
  ): Promise<{ accepted: number; rejected: RejectedRecord[] }>;
}

export function createIngestService({
  catalog,
  registry,
  publisher,
  metrics,
  cacheTtlMs = 30_000,
}: {
  catalog: CatalogService;
  registry: RegistryClient;
  publisher: RawPublisher;
  metrics?: IngestMetrics;
  cacheTtlMs?: number;
}): IngestService {
  const targets = new Map<string, { resolved: ResolvedTarget; until: number }>();
  const coercers = new Map<number, RecordCoercer>();
  catalog.onChange((entry) => void targets.delete(`${entry.provider}/${entry.dataset}`));
  return {
    async resolve(provider, dataset) {
      const key = `${provider}/${dataset}`;
      const hit = targets.get(key);
      if (hit && hit.until > Date.now()) return hit.resolved;
      const entry = await catalog.targetOf(provider, dataset);
      const latest = await registry.latest(entry.subject);
      let coercer = coercers.get(latest.id);
      if (!coercer) {
        coercer = createRecordCoercer(parseEntrySchema(dataset, latest.schema).json);
        coercers.set(latest.id, coercer);
      }
      const resolved = { target: { provider, dataset, topic: entry.topic, schemaId: latest.id }, coercer };
      targets.set(key, { resolved, until: Date.now() + cacheTtlMs });
      return resolved;
    },
    async ingest({ target, coercer }, records, path, { text = false, firstIndex = 0 } = {}) {
      const good: PublishRecord[] = [];
      const rejected: RejectedRecord[] = [];
      records.forEach((record, i) => {
        const result = coercer.coerce(record, { text });
        if (result.ok) good.push({ key: result.key, value: result.value });
        else rejected.push({ index: firstIndex + i, errors: result.errors });
      });
      await publisher.publish(target, path, good);
      const labels = { dataset: target.dataset, provider: target.provider, path };
      metrics?.accepted.inc(labels, good.length);
      if (rejected.length > 0) metrics?.rejected.inc(labels, rejected.length);
      return { accepted: good.length, rejected };
    },
  };
}
