import type { FastifyInstance } from 'fastify';
import { errorMessage } from '../../platform/errors.ts';
import { failuresBeforeDown } from '../../platform/health.ts';

type Check = () => Promise<unknown>;

async function timed(check: Check, timeoutMs: number): Promise<{ ok: boolean; ms: number; error?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs)))]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - started), error: errorMessage(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness says the process serves; readiness says every server it depends on answers. */
export async function healthRoutes(app: FastifyInstance, { timeoutMs = 2000 }: { timeoutMs?: number }): Promise<void> {
  app.get('/live', { schema: { tags: ['health'], summary: 'The process is up' } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { tags: ['health'], summary: 'Postgres, Redis and Kafka answer' } }, async (_request, reply) => {
    const checks: Record<string, Check> = {
      postgres: () => app.db.query('SELECT 1'),
      redis: () => app.redis.ping(),
      kafka: () => app.kafka.admin.ping(),
    };
    const results = Object.fromEntries(await Promise.all(Object.entries(checks).map(async ([name, c]) => [name, await timed(c, timeoutMs)] as const)));
    // Background work that keeps failing (it retries, never skips) makes the instance not ready either.
    const work = app.hasDecorator('workHealth') ? app.workHealth.snapshot() : {};
    const stuck = Object.entries(work).filter(([, w]) => !w.ok && w.failures >= failuresBeforeDown);
    const ready = Object.values(results).every((r) => r.ok) && stuck.length === 0;
    if (!ready) reply.code(503).header('retry-after', '5');
    return { status: ready ? 'ready' : 'unavailable', checks: results, work };
  });
}
