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
  const out: OutboxRecord[] = [];
  for (const row of rows) {
    out.push({ topic: cleanTopic(dataset), key: row.key, value: await registry.encode(cleanSchemaId, toCleanValue(row, fields, row.version, now)) });
  }
  for (const a of alerts) {
    out.push({
      topic: qualityAlertsTopic,
      key: `${a.dataset}|${a.key}`,
      value: await registry.encode(alertSchemaId, toAlertValue(a)),
      headers: { 'hub-alert-id': a.id },
    });
  }
  return out;
}
