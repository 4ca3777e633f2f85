import { describe, expect, it } from 'vitest';
import { openPool } from '../../services/platform/db/pool.ts';
import { openRedis } from '../../services/platform/redis.ts';
import { createScramAdmin } from '../../services/platform/kafka/scram.ts';
import { HubError } from '../../services/platform/errors.ts';
import { testLogger } from '../helpers/logger.ts';

// Port 1 on loopback: nothing listens there, so the connection is refused at once.
describe('an unreachable server is one clear line', () => {
  it('Postgres', async () => {
    const err = await openPool({ url: 'postgres://postgres:pw@127.0.0.1:1/hub', schema: 'hub', poolMax: 1, connectTimeoutMs: 1000, log: testLogger() }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).code).toBe('HUB_ERR_DB_UNAVAILABLE');
    expect((err as HubError).message).toMatch(/^cannot reach Postgres at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/hub .*DATABASE_URL/);
    expect((err as HubError).message).not.toContain('\n');
  });

  it('Redis', async () => {
    const err = await openRedis({ url: 'redis://127.0.0.1:1/0', keyPrefix: 'x:', connectTimeoutMs: 1000, log: testLogger() }).catch((e: unknown) => e);
    expect((err as HubError).code).toBe('HUB_ERR_REDIS_UNAVAILABLE');
    expect((err as HubError).message).toMatch(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0 .*REDIS_URL/);
  });

  it('Kafka', async () => {
    const scram = createScramAdmin({ brokers: ['127.0.0.1:1'], username: 'u', password: 'p', clientId: 't', connectTimeoutMs: 1000, requestTimeoutMs: 1000 });
    const err = await scram.upsert('x', 'y').catch((e: unknown) => e);
    expect((err as HubError).code).toBe('HUB_ERR_KAFKA_UNAVAILABLE');
    expect((err as HubError).message).toMatch(/cannot reach Kafka at 127\.0\.0\.1:1/);
  });
});
