import type { FastifyInstance } from 'fastify';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import type { RawTopicValidator } from '../ingest/raw-validator.ts';
import { startIngestWorkers } from '../ingest/workers.ts';
import type { CleansingWorker } from '../cleansing/worker.ts';
import { startCleansingWorkers } from '../cleansing/workers.ts';
import { startSharingWorkers } from '../sharing/workers.ts';
import { startAuditWorkers } from '../audit/workers.ts';
import { startStewardshipWorkers } from '../stewardship/workers.ts';
import { startOpenDataWorkers } from '../opendata/workers.ts';

export interface Workers {
  validator: RawTopicValidator;
  cleansing: CleansingWorker;
  stop(): Promise<void>;
}

/**
 * The hub's background work beside HTTP, each area's from its own workers.ts. The raw-topic
 * followers see catalog changes made here at once, and those of other instances within `refreshMs`.
 */
export async function startWorkers(
  app: FastifyInstance,
  {
    config,
    log,
    groupId,
    cleansingGroupId,
    refreshMs = 30_000,
  }: { config: HubConfig; log: Logger; groupId?: string; cleansingGroupId?: string; refreshMs?: number },
): Promise<Workers> {
  const ingest = await startIngestWorkers(app, { log, ...(groupId ? { groupId } : {}) });
  const cleansing = await startCleansingWorkers(app, { config, log, ...(cleansingGroupId ? { groupId: cleansingGroupId } : {}) });
  const sharing = await startSharingWorkers(app, { log, schema: config.database.schema, leaderCheckMs: config.sharing.leaderCheckMs });
  const audit = startAuditWorkers(app, { log });
  const stewardship = startStewardshipWorkers(app, { log, tickMs: config.stewardship.correctionTickMs });
  const openData = startOpenDataWorkers(app, { log, tickMs: config.open.publishTickMs });
  const refresh = () => {
    ingest.refresh().catch((err: unknown) => log.warn({ err }, 'raw validator refresh failed'));
    cleansing.refresh().catch((err: unknown) => log.warn({ err }, 'cleansing refresh failed'));
    // A new dataset's clean topic joins the share streamer before any grant on it, not during one.
    app.grants.refresh().catch((err: unknown) => log.warn({ err }, 'share streamer refresh failed'));
  };
  // Not awaited: declaring a dataset must not wait for the validator's group to rebalance.
  app.catalog.onChange(refresh);
  const timer = setInterval(refresh, refreshMs);
  timer.unref();
  return {
    validator: ingest.validator,
    cleansing: cleansing.worker,
    async stop() {
      clearInterval(timer);
      await openData.stop();
      await stewardship.stop();
      await sharing.stop();
      await audit.stop();
      await ingest.stop();
      await cleansing.stop();
    },
  };
}
