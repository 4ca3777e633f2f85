import type { FastifyInstance } from 'fastify';
import type { Logger } from '../platform/logger.ts';
import { Leadership } from '../platform/leader.ts';
import { groups } from '../contract/names.ts';
import { Gauge } from 'prom-client';

/**
 * Sharing's background work. Deadlines and expiries fire on a tick on every instance (a timer is
 * claimed by one). The share streamer runs on one elected instance: the others hand it their
 * activations, and when it dies the next one elected holds the pending grants, streams, and
 * completes them.
 */
export async function startSharingWorkers(
  app: FastifyInstance,
  { log, schema, leaderCheckMs, tickMs = 10_000 }: { log: Logger; schema: string; leaderCheckMs: number; tickMs?: number },
): Promise<{ stop(): Promise<void> }> {
  const catchUp = () => app.grants.catchUp().catch((err: unknown) => log.warn({ err }, 'share streamer round failed; retrying on the next tick'));
  const leading =
    (app.metrics.getSingleMetric('hub_share_streamer_leading') as Gauge | undefined) ??
    new Gauge({ name: 'hub_share_streamer_leading', help: '1 on the instance elected to stream share topics, 0 elsewhere', registers: [app.metrics] });
  leading.set(0);
  const leadership = new Leadership({
    pool: app.db,
    name: `${schema}:${groups.shareStreamer}`,
    log,
    checkMs: leaderCheckMs,
    async onElected() {
      await app.grants.start();
      leading.set(1);
      void catchUp();
    },
    async onDeposed() {
      leading.set(0);
      await app.grants.stop();
    },
    listen: { channel: app.grants.channel, onNotify: () => void catchUp() },
  });
  app.grants.coordinate(leadership);
  await leadership.start();
  const tick = setInterval(() => {
    app.sharing.fireDue().catch((err: unknown) => log.warn({ err }, 'sharing timers failed; retrying on the next tick'));
    if (leadership.leading) void catchUp();
  }, tickMs);
  tick.unref();
  return {
    async stop() {
      clearInterval(tick);
      await leadership.stop();
    },
  };
}
