import { once } from 'node:events';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { KafkaMessage } from 'kafkajs';
import { hubEnv, runHub, startHubProcess } from '../helpers/spawn-hub.ts';
import { testConfig } from '../helpers/config.ts';
import { testLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';
import { person } from '../helpers/people.ts';
import { createKafkaClient, kafkaErrorType } from '../../services/platform/kafka/client.ts';
import { freePort } from '../../services/platform/net.ts';
import { shareGroupPrefix, shareTopic } from '../../services/contract/names.ts';
import { digestTables } from '../../services/backup/digest.ts';
import type { Manifest } from '../../services/backup/manifest.ts';

interface Credentials {
  name: string;
  token: string;
  kafka: { username: string; password: string };
}

/**
 * The drill: a hub with its own local broker is filled, stopped and backed up; the backup is
 * restored into a new database, a new state folder and a new broker, and the restored hub serves
 * the same data, registry ids, audit chain and grant.
 */
describe('disaster recovery: backup, then restore onto a new database and broker', () => {
  const schema = `t_dr_${randomBytes(4).toString('hex')}`;
  const database = `hub_dr_${randomBytes(4).toString('hex')}`;
  const dataset = 'base.natural_person';
  const schemas = [schema, `${schema}_base`, `${schema}_theme`];
  let work = '';
  let source: NodeJS.ProcessEnv;
  let target: NodeJS.ProcessEnv;
  const running: ReturnType<typeof startHubProcess>[] = [];
  const admin = new pg.Pool({ connectionString: testConfig().database.url });

  const start = async (env: NodeJS.ProcessEnv) => {
    const hub = startHubProcess(env);
    running.push(hub);
    await hub.waitFor(/Press Ctrl-C to stop/, 180_000);
    return { ...hub, base: `http://127.0.0.1:${env.HUB_PORT}` };
  };
  const stop = async (hub: ReturnType<typeof startHubProcess>) => {
    hub.child.kill('SIGINT');
    const [code] = (await once(hub.child, 'exit')) as [number | null];
    expect(code).toBe(0);
  };
  const hub = (env: NodeJS.ProcessEnv, ...args: string[]) => runHub(args, env, 240_000);
  const call = async (base: string, who: { token: string }, method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1${url}`, {
      method,
      headers: { authorization: `Bearer ${who.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** Every registry subject's latest schema id, as the hub's own principal sees them. */
  const registryIds = async (base: string, stateDir: string) => {
    const { serviceToken } = JSON.parse(await readFile(join(stateDir, 'secrets.json'), 'utf8')) as { serviceToken: string };
    const headers = { authorization: `Basic ${Buffer.from(`hub-system:${serviceToken}`).toString('base64')}` };
    const subjects = (await (await fetch(`${base}/registry/subjects`, { headers })).json()) as string[];
    const ids: Record<string, number> = {};
    for (const s of subjects)
      ids[s] = ((await (await fetch(`${base}/registry/subjects/${encodeURIComponent(s)}/versions/latest`, { headers })).json()) as { id: number }).id;
    return ids;
  };
  const readShare = async (port: string, who: Credentials, grantId: string, count: number): Promise<KafkaMessage[]> => {
    const kafka = createKafkaClient(
      {
        brokers: [`127.0.0.1:${port}`],
        username: who.kafka.username,
        password: who.kafka.password,
        clientId: 'dr',
        connectTimeoutMs: 3000,
        requestTimeoutMs: 10_000,
      },
      testLogger(),
    );
    const consumer = kafka.consumer({ groupId: `${shareGroupPrefix(grantId)}${randomBytes(3).toString('hex')}`, maxWaitTimeInMs: 100 });
    const seen: KafkaMessage[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: shareTopic(grantId, dataset), fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`read ${seen.length}/${count} share records`)), 90_000);
        consumer.on(consumer.events.CRASH, (e) => {
          clearTimeout(timer);
          reject(e.payload.error);
        });
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.push(message);
            if (seen.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      return seen;
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  };
  const digests = async (url: string) => {
    const pool = new pg.Pool({ connectionString: url });
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      return await digestTables(client, schemas);
    } finally {
      await client.query('ROLLBACK');
      client.release();
      await pool.end();
    }
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'hub-dr-'));
    const common = {
      KAFKA_BROKERS: undefined,
      KAFKA_USERNAME: undefined,
      KAFKA_PASSWORD: undefined,
      DATABASE_SCHEMA: schema,
      HUB_LANDING_SCHEMA_PREFIX: `${schema}_`,
    };
    source = hubEnv({
      ...common,
      HUB_STATE_DIR: join(work, 'source'),
      HUB_PORT: String(await freePort()),
      KAFKA_LOCAL_PORT: String(await freePort()),
      KAFKA_LOCAL_CONTROLLER_PORT: String(await freePort()),
      REDIS_KEY_PREFIX: `hub-test:${schema}:a:`,
      LOG_LEVEL: 'info',
    });
    const url = new URL(testConfig().database.url);
    url.pathname = `/${database}`;
    target = hubEnv({
      ...common,
      DATABASE_URL: url.toString(),
      HUB_STATE_DIR: join(work, 'target'),
      HUB_PORT: String(await freePort()),
      KAFKA_LOCAL_PORT: String(await freePort()),
      KAFKA_LOCAL_CONTROLLER_PORT: String(await freePort()),
      REDIS_KEY_PREFIX: `hub-test:${schema}:b:`,
      LOG_LEVEL: 'info',
    });
  });
  afterAll(async () => {
    for (const h of running) if (h.child.exitCode === null && h.child.signalCode === null) h.child.kill('SIGKILL');
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('restores the same tables, registry ids, audit chain and grant, and refuses what it must', { timeout: 600_000 }, async () => {
    // Fill a hub: a department, its records landed, a consumer with a grant, audit rows.
    const a = await start(source);
    const authority = JSON.parse((await hub(source, 'principal', 'create', `auth-${schema}`, '--role', 'authority', '--json')).stdout) as Credentials;
    const consumer = JSON.parse((await hub(source, 'principal', 'create', `cons-${schema}`, '--role', 'consumer', '--json')).stdout) as Credentials;
    const outsider = JSON.parse((await hub(source, 'principal', 'create', `other-${schema}`, '--role', 'consumer', '--json')).stdout) as Credentials;
    const onboarded = await call(a.base, authority, 'POST', '/departments', { name: `psb-${schema.slice(5)}`, displayName: '公安局' });
    expect(onboarded.status, JSON.stringify(onboarded.body)).toBe(201);
    const dept = onboarded.body.credentials as Credentials;
    const declared = await call(a.base, dept, 'POST', '/catalog', { dataset });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    if (declared.body.status === 'pending') {
      expect(
        (await call(a.base, authority, 'POST', `/catalog/${String(declared.body.id)}/enrolment`, { decision: 'approve', authorities: {}, reason: '同意' }))
          .status,
      ).toBe(200);
    }
    const people = Array.from({ length: 20 }, (_, i) => person(i + 1));
    expect((await call(a.base, dept, 'POST', `/datasets/${dataset}/records`, { records: people })).status).toBe(200);
    await waitFor(
      () =>
        admin.query(`SELECT count(*)::int AS n FROM "${schema}_base".natural_person`).then(
          (r) => r.rows[0].n as number,
          () => 0,
        ),
      (n) => n === people.length,
      120_000,
    );
    const submitted = await call(a.base, consumer, 'POST', '/applications', {
      purpose: '社保资格核验',
      datasets: [{ dataset, fields: ['id_number', 'name'] }],
      validUntil: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(submitted.body.status, JSON.stringify(submitted.body)).toBe('granted');
    const grantId = String(submitted.body.grantId);
    expect(await readShare(source.KAFKA_LOCAL_PORT!, consumer, grantId, people.length)).toHaveLength(people.length);
    const idsBefore = await registryIds(a.base, source.HUB_STATE_DIR!);
    expect(Object.keys(idsBefore).length).toBeGreaterThan(1);
    await stop(a);

    // Back up, the secrets sealed with a passphrase.
    const backup = join(work, 'backup');
    const passphrase = join(work, 'passphrase');
    await writeFile(passphrase, 'correct horse battery staple\n', { mode: 0o600 });
    const taken = await hub(source, 'backup', backup, '--secrets', '--passphrase-file', passphrase);
    expect(taken.code, taken.stderr).toBe(0);
    expect((await hub(source, 'backup', 'verify', backup)).code).toBe(0);
    const manifest = JSON.parse(await readFile(join(backup, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.secrets).toMatchObject({ kdf: 'scrypt', cipher: 'aes-256-gcm' });
    expect(await readFile(join(backup, manifest.secrets!.file), 'utf8')).not.toContain(consumer.token);
    expect(manifest.database.tables[`${schema}_base.natural_person`]?.rows).toBe(people.length);

    // Refused: a changed file, a wrong passphrase.
    const tampered = join(work, 'tampered');
    await cp(backup, tampered, { recursive: true });
    await writeFile(join(tampered, 'kafka/acls.json'), '[]\n');
    const refused = await hub(target, 'restore', tampered, '--passphrase-file', passphrase);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/hub: .*kafka\/acls\.json does not match its checksum/);
    // ...and a file changed together with its manifest entry: the manifest's MAC needs the passphrase.
    const forged = join(work, 'forged');
    await cp(backup, forged, { recursive: true });
    const acls = '[]\n';
    await writeFile(join(forged, 'kafka/acls.json'), acls);
    const edited = JSON.parse(await readFile(join(forged, 'manifest.json'), 'utf8')) as Manifest;
    edited.files = edited.files.map((f) =>
      f.path === 'kafka/acls.json' ? { ...f, bytes: Buffer.byteLength(acls), sha256: createHash('sha256').update(acls).digest('hex') } : f,
    );
    await writeFile(join(forged, 'manifest.json'), JSON.stringify(edited, null, 2));
    expect((await hub(target, 'backup', 'verify', forged)).code, 'checksums alone cannot tell').toBe(0);
    const unsigned = await hub(target, 'restore', forged, '--passphrase-file', passphrase);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toMatch(/manifest .* was changed after the backup/);
    const wrong = join(work, 'wrong');
    await writeFile(wrong, 'not the passphrase at all\n');
    const denied = await hub(target, 'restore', backup, '--passphrase-file', wrong);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/passphrase does not open/);
    const blind = await hub(target, 'restore', backup);
    expect(blind.code, 'a missing option is a usage error').toBe(2);
    expect(blind.stderr).toMatch(/^hub: this backup holds sealed secrets: give their passphrase/);

    // Restore into a new database, state folder and broker.
    const restored = await hub(target, 'restore', backup, '--passphrase-file', passphrase);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/tables match the manifest.* cleansing offsets reset/);
    expect(restored.stdout, 'every principal got its Kafka credential back').not.toMatch(/without a kept Kafka credential/);
    const again = await hub(target, 'restore', backup, '--passphrase-file', passphrase);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds hub tables/);

    // Same rows and checksums as the manifest, and as the source; but cleansing's raw-topic offsets,
    // which restore resets once checked (the new cluster's raw topics start again at 0).
    const offsets = `${schema}.cleansing_offsets`;
    expect(manifest.database.tables[offsets]?.rows).toBeGreaterThan(0);
    const { [offsets]: reset, ...after } = await digests(target.DATABASE_URL!);
    expect(reset?.rows).toBe(0);
    for (const [table, digest] of Object.entries(manifest.database.tables)) if (table !== offsets) expect(after[table], table).toEqual(digest);
    const { [offsets]: _kept, ...before } = await digests(testConfig().database.url);
    expect(after).toEqual(before);

    const verified = await hub(target, 'audit', 'verify');
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);

    // The restored hub: same registry ids, the grant's consumer reads its share topic on the new broker with its own password.
    const b = await start(target);
    expect(await registryIds(b.base, target.HUB_STATE_DIR!)).toEqual(idsBefore);
    // The elected streamer finds the active grant without its topics: topics, backfill, ACLs again.
    await b.waitFor(new RegExp(`"grant":"${grantId}".*grant reinstated`), 120_000);
    const shared = await readShare(target.KAFKA_LOCAL_PORT!, consumer, grantId, people.length);
    expect(new Set(shared.map((m) => m.key?.toString())).size).toBe(people.length);
    const stranger = await readShare(target.KAFKA_LOCAL_PORT!, outsider, grantId, 1).then(
      () => null,
      (err: unknown) => err,
    );
    expect(`${kafkaErrorType(stranger)} ${String(stranger)}`).toMatch(/AUTHORIZATION_FAILED|find group coordinator/);

    // The department goes on sending: its new record lands (not skipped for offsets of the old
    // cluster) and reaches the consumer's share topic.
    const next = person(people.length + 1);
    expect((await call(b.base, dept, 'POST', `/datasets/${dataset}/records`, { records: [next] })).status).toBe(200);
    const restoredDb = new pg.Pool({ connectionString: target.DATABASE_URL });
    try {
      const landed = await waitFor(
        () => restoredDb.query(`SELECT count(*)::int AS n FROM "${schema}_base".natural_person`).then((r) => r.rows[0].n as number),
        (n) => n === people.length + 1,
        120_000,
      );
      expect(landed, 'the new record landed on the restored hub').toBe(people.length + 1);
    } finally {
      await restoredDb.end();
    }
    const more = await readShare(target.KAFKA_LOCAL_PORT!, consumer, grantId, people.length + 1);
    expect(new Set(more.map((m) => m.key?.toString())).size).toBe(people.length + 1);
    await stop(b);
  });
});
