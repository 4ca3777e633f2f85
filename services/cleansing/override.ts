import { isDeepStrictEqual } from 'node:util';
import type { Pool, PoolClient } from '../platform/db/pool.ts';
import { HubError } from '../platform/errors.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import type { DatasetSchema } from '../contract/dataset-schema.ts';
import { cleanTopic, valueSubject } from '../contract/names.ts';
import type { QualityAlert } from './alerts.ts';
import { cleanSchemaOf } from './clean-schema.ts';
import { lastValueFrom } from './landing/reader.ts';
import { appendHistory, readCurrent, upsertCurrent } from './landing/rows.ts';
import { ensureLandingTables, landingTableOf } from './landing/tables.ts';
import { enqueue } from './outbox.ts';
import { outboxRecords } from './stages/publish.ts';

export interface AcceptedValue {
  field: string;
  from: unknown;
  to: unknown;
  provider: string;
}

/**
 * A steward accepting the other value of a conflict: the same landing path as a record (current
 * row, one history row naming the decision, the clean topic through the outbox), in the caller's
 * transaction, so the decision and the alert's new status commit together.
 */
export interface Override {
  accept(client: PoolClient, alert: QualityAlert, decision: { by: string; reason: string }): Promise<AcceptedValue>;
}

export function createOverride({
  pool,
  registry,
  contractOf,
  schemaPrefix,
}: {
  pool: Pool;
  registry: RegistryClient;
  contractOf: (dataset: string) => Promise<DatasetSchema>;
  schemaPrefix: string;
}): Override {
  return {
    async accept(client, alert, { by, reason }) {
      const field = alert.fields[0];
      const kept = alert.values[0];
      const other = alert.values[1];
      if (alert.kind !== 'conflict' || !field || !kept || !other) {
        throw new HubError('HUB_ERR_CONFLICT', `alert ${alert.id} is not a conflict between two values; only a conflict has another value to accept`);
      }
      const schema = await contractOf(alert.dataset);
      const table = landingTableOf(schema, schemaPrefix);
      await ensureLandingTables({ pool, table });
      const current = (await readCurrent(client, table, [alert.key])).get(alert.key);
      if (!current) throw new HubError('HUB_ERR_CONFLICT', `${alert.dataset} has no landed record for this key`);
      const now = current.values[field] ?? null;
      if (!isDeepStrictEqual(now, kept.value ?? null)) {
        throw new HubError('HUB_ERR_CONFLICT', `${field} changed since the alert was raised; review the newer value before overriding it`);
      }
      // The other value must still be what its provider sends: never land a value it has since replaced.
      if (!isDeepStrictEqual((await lastValueFrom(client, table, { key: alert.key, provider: other.provider, field })) ?? null, other.value ?? null)) {
        throw new HubError('HUB_ERR_CONFLICT', `${other.provider} has sent another ${field} since the alert was raised; review its newer value instead`);
      }
      const source = alert.sources.find((s) => s.provider === other.provider) ?? alert.sources[1];
      if (!source) throw new HubError('HUB_ERR_CONFLICT', `alert ${alert.id} has no source for ${other.provider}`);
      const values = { ...current.values, [field]: other.value ?? null };
      const lineage = {
        ...current.lineage,
        [field]: { ...source, recordId: `override:${alert.id}`, eventTime: null, authoritative: false, provisional: false },
      };
      const row = { key: alert.key, values, lineage, provisional: current.provisional.filter((f) => f !== field) };
      await upsertCurrent(client, table, [row]);
      await appendHistory(client, table, [
        {
          key: alert.key,
          values,
          original: { override: { alert: alert.id, field, from: kept.value ?? null, to: other.value ?? null } },
          provider: other.provider,
          topic: source.topic,
          partition: source.partition,
          offset: source.offset,
          recordId: `override:${alert.id}`,
          eventTime: null,
          change: 'update',
          findings: [{ rule: 'steward-override', alert: alert.id, field, by, reason }],
        },
      ]);
      const cleanSchemaId = await registry.register(valueSubject(cleanTopic(alert.dataset)), cleanSchemaOf(schema));
      await enqueue(
        client,
        await outboxRecords({
          registry,
          dataset: alert.dataset,
          fields: schema.json.fields.map((f) => f.name),
          rows: [{ ...row, version: current.version + 1 }],
          cleanSchemaId,
          alerts: [],
          alertSchemaId: 0,
        }),
      );
      return { field, from: kept.value ?? null, to: other.value ?? null, provider: other.provider };
    },
  };
}
