import { Counter, type Registry } from 'prom-client';

export interface IngestMetrics {
  accepted: Counter<'dataset' | 'provider' | 'path'>;
  rejected: Counter<'dataset' | 'provider' | 'path'>;
  deadLettered: Counter<'topic'>;
}

/** Ingest counters on the app's /metrics; created once per registry. */
export function ingestMetrics(registry: Registry): IngestMetrics {
  const existing = registry.getSingleMetric('hub_ingest_records_accepted_total');
  if (existing) {
    return {
      accepted: existing as Counter<'dataset' | 'provider' | 'path'>,
      rejected: registry.getSingleMetric('hub_ingest_records_rejected_total') as Counter<'dataset' | 'provider' | 'path'>,
      deadLettered: registry.getSingleMetric('hub_ingest_dead_letters_total') as Counter<'topic'>,
    };
  }
  const labelNames = ['dataset', 'provider', 'path'] as const;
  return {
    accepted: new Counter({ name: 'hub_ingest_records_accepted_total', help: 'records written to raw topics', labelNames, registers: [registry] }),
    rejected: new Counter({
      name: 'hub_ingest_records_rejected_total',
      help: 'records refused with a reason to the caller',
      labelNames,
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'hub_ingest_dead_letters_total',
      help: 'raw records copied to hub.dead-letter',
      labelNames: ['topic'],
      registers: [registry],
    }),
  };
}
