import type { RegistryClient } from '../../platform/registry-client.ts';
import { cleanTopic, qualityAlertsTopic } from '../../contract/names.ts';
import { type QualityAlert, toAlertValue } from '../alerts.ts';
import { toCleanValue } from '../clean-schema.ts';
import type { CurrentRow } from '../landing/rows.ts';
import type { OutboxRecord } from '../outbox.ts';

/** Publish (through the outbox, in the landing transaction): each changed row on clean.<dataset>, each alert on quality.alerts. */
export async function outboxRecords({
  registry,
  dataset,
  fields,
  rows,
  cleanSchemaId,
  alerts,
  alertSchemaId,
}: {
  registry: RegistryClient;
  dataset: string;
  fields: readonly string[];
  rows: readonly CurrentRow[];
  cleanSchemaId: number;
  alerts: readonly QualityAlert[];
  alertSchemaId: number;
}): Promise<OutboxRecord[]> {
  const now = Date.now();
  const [values, alertValues] = await Promise.all([
    registry.encodeMany(
      cleanSchemaId,
      rows.map((row) => toCleanValue(row, fields, row.version, now)),
    ),
    registry.encodeMany(alertSchemaId, alerts.map(toAlertValue)),
  ]);
  const out: OutboxRecord[] = rows.map((row, i) => ({ topic: cleanTopic(dataset), key: row.key, value: values[i] as Buffer }));
  for (const [i, a] of alerts.entries()) {
    out.push({ topic: qualityAlertsTopic, key: `${a.dataset}|${a.key}`, value: alertValues[i] as Buffer, headers: { 'hub-alert-id': a.id } });
  }
  return out;
}
