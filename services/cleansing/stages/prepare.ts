import type { Pool } from '../../platform/db/pool.ts';
import type { Logger } from '../../platform/logger.ts';
import type { RegistryClient } from '../../platform/registry-client.ts';
import type { DatasetSchema } from '../../contract/dataset-schema.ts';
import { cleanTopic, qualityAlertsTopic, valueSubject } from '../../contract/names.ts';
import type { CatalogEntry } from '../../catalog/entry.ts';
import { parseEntrySchema } from '../../catalog/entry.ts';
import type { CatalogStore } from '../../catalog/store.ts';
import { qualityAlertSchema } from '../alerts.ts';
import { cleanSchemaOf } from '../clean-schema.ts';
import { ensureLandingTables, type LandingTable, landingTableOf } from '../landing/tables.ts';

export interface Prepared {
  schema: DatasetSchema;
  table: LandingTable;
  cleanSchemaId: number;
}

/** What a chunk needs before it is cleansed, cached: its schema, landing table, clean subject, field authorities. */
export interface Preparation {
  /** The entry's latest schema (never older than the newest writer of the chunk), its landing tables evolved and clean subject registered. */
  schemaOf(entry: CatalogEntry, newestWriterId: number): Promise<Prepared>;
  /** field → authoritative provider of a dataset, trusted for a few seconds. */
  authoritiesOf(dataset: string): Promise<Map<string, string>>;
  alertSchemaId(): Promise<number>;
  forget(): void;
}

export function createPreparation({
  pool,
  registry,
  catalog,
  schemaPrefix,
  log,
  authorityTtlMs = 10_000,
}: {
  pool: Pool;
  registry: RegistryClient;
  catalog: CatalogStore;
  schemaPrefix: string;
  log: Logger;
  authorityTtlMs?: number;
}): Preparation {
  const prepared = new Map<number, Promise<Prepared>>();
  const authorities = new Map<string, { map: Map<string, string>; until: number }>();
  const latestBySubject = new Map<string, { latest: Promise<{ id: number; schema: string }>; until: number }>();
  let alertSchemaId: Promise<number> | null = null;

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

  return {
    async schemaOf(entry, newestWriterId) {
      const latest = await latestOf(entry.subject, newestWriterId);
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
    },
    async authoritiesOf(dataset) {
      const hit = authorities.get(dataset);
      if (hit && hit.until > Date.now()) return hit.map;
      const { entries } = await catalog.search({ dataset, limit: 500, offset: 0 });
      const map = new Map<string, string>();
      for (const e of entries) for (const f of e.authoritativeFields) map.set(f, e.provider);
      authorities.set(dataset, { map, until: Date.now() + authorityTtlMs });
      return map;
    },
    alertSchemaId() {
      alertSchemaId ??= registry.register(valueSubject(qualityAlertsTopic), qualityAlertSchema).catch((err: unknown) => {
        alertSchemaId = null;
        throw err;
      });
      return alertSchemaId;
    },
    forget() {
      prepared.clear();
      latestBySubject.clear();
      authorities.clear();
    },
  };
}
