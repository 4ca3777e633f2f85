import { Counter, Gauge, type Registry } from 'prom-client';
import type { ChunkOutcome } from './pipeline.ts';

type Labels = 'dataset' | 'provider';

export interface CleansingMetrics {
  record(outcome: ChunkOutcome): void;
  lag: Gauge<'topic' | 'partition'>;
}

/** Per dataset and provider: records in, duplicates dropped, invalid, warnings, conflicts, landed; lag per partition. */
export function cleansingMetrics(registry: Registry): CleansingMetrics {
  const counter = (name: string, help: string) =>
    (registry.getSingleMetric(name) as Counter<Labels> | undefined) ?? new Counter({ name, help, labelNames: ['dataset', 'provider'], registers: [registry] });
  const recordsIn = counter('hub_cleansing_records_in_total', 'raw records read by the cleansing service');
  const duplicates = counter('hub_cleansing_duplicates_total', 'exact retransmissions dropped');
  const invalid = counter('hub_cleansing_invalid_total', 'records quarantined by a rule');
  const warnings = counter('hub_cleansing_warnings_total', 'records landed with a warning');
  const conflicts = counter('hub_cleansing_conflicts_total', 'values disagreeing with the authoritative source');
  const landed = counter('hub_cleansing_landed_total', 'records landed in the base or theme database');
  const lag =
    (registry.getSingleMetric('hub_cleansing_lag') as Gauge<'topic' | 'partition'> | undefined) ??
    new Gauge({ name: 'hub_cleansing_lag', help: 'raw records not yet landed', labelNames: ['topic', 'partition'], registers: [registry] });
  return {
    lag,
    record(o) {
      const l = { dataset: o.dataset, provider: o.provider };
      recordsIn.inc(l, o.records - o.skipped);
      duplicates.inc(l, o.duplicates);
      invalid.inc(l, o.invalid);
      warnings.inc(l, o.warnings);
      conflicts.inc(l, o.conflicts);
      landed.inc(l, o.landed);
    },
  };
}
