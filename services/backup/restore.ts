import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { quoteIdent, type Pool } from '../platform/db/pool.ts';
import type { AclBinding, HubAdmin, TopicDescription } from '../platform/kafka/admin.ts';
import { HubError } from '../platform/errors.ts';
import { type LocalSecrets, readSecrets } from '../platform/secrets.ts';
import { shareTopicPrefix } from '../contract/names.ts';
import { createCredentialVault } from '../principals/credentials.ts';
import { createProgressStore } from '../cleansing/progress-store.ts';
import { auditHeadFile, ensureServiceUsers } from '../hub/topology.ts';
import { isHubTopic } from './backup.ts';
import { digestTables } from './digest.ts';
import { macText, paths, verifyBackup, type Manifest } from './manifest.ts';
import { runPgTool } from './pg-tools.ts';
import { passphraseMac, sameMac, type Sealed, unseal } from './seal.ts';

export interface OpenedBackup {
  manifest: Manifest;
  /** The sealed secrets, opened; null when the backup was taken without them. */
  secrets: LocalSecrets | null;
}

/** Checks every file against the manifest, then opens the secrets with the passphrase. */
export async function openBackup(dir: string, passphrase: string | null): Promise<OpenedBackup> {
  const manifest = await verifyBackup(dir);
  if (!manifest.secrets) return { manifest, secrets: null };
  if (passphrase === null) throw new HubError('HUB_ERR_VALIDATION', 'this backup holds sealed secrets: give their passphrase (--passphrase-file)');
  const sealed = JSON.parse(await readFile(join(dir, manifest.secrets.file), 'utf8')) as Sealed;
  const secrets = JSON.parse((await unseal(sealed, passphrase)).toString('utf8')) as LocalSecrets;
  if (!manifest.mac || !sameMac(manifest.mac, await passphraseMac(sealed, passphrase, macText(manifest))))
    throw new HubError('HUB_ERR_UNPROCESSABLE', `the manifest of ${dir} was changed after the backup (its MAC does not match): do not restore it`);
  return { manifest, secrets };
}

/**
 * The state folder's secrets after a restore: the backup's, written if the folder has none; the
 * folder's own if the backup has none. Two different sets are refused: the audit chain's key and
 * every sealed credential depend on which one the hub runs with.
 */
export async function installSecrets(config: HubConfig, opened: OpenedBackup, dir: string): Promise<LocalSecrets> {
  const existing = await readSecrets(config.stateDir);
  const secrets = opened.secrets;
  if (!secrets) {
    if (!existing?.keyHashSecret)
      throw new HubError(
        'HUB_ERR_CONFIG',
        `the backup has no secrets and ${config.stateDir} has none either: restore from a backup taken with --secrets, or into the hub's own state folder`,
      );
    return existing as LocalSecrets;
  }
  if (existing?.keyHashSecret && existing.keyHashSecret !== secrets.keyHashSecret)
    throw new HubError('HUB_ERR_CONFLICT', `${config.stateDir} holds other secrets than the backup's: restore into an empty state folder (HUB_STATE_DIR)`);
  await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
  const file = join(config.stateDir, 'secrets.json');
  await writeFile(`${file}.tmp`, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  const head = await readFile(join(dir, paths.auditHead), 'utf8').catch(() => null);
  if (head !== null) {
    await mkdir(dirname(auditHeadFile(config)), { recursive: true });
    await writeFile(auditHeadFile(config), head, { mode: 0o600 });
  }
  return secrets;
}

export function schemasOf(manifest: Manifest): string[] {
  return [manifest.database.schema, ...manifest.database.landingSchemas];
}

/** Refuses a database that holds any table in the backup's schemas. */
export async function assertEmptyDatabase(pool: Pool, config: HubConfig, manifest: Manifest): Promise<void> {
  if (config.database.schema !== manifest.database.schema)
    throw new HubError(
      'HUB_ERR_CONFIG',
      `the backup is of schema "${manifest.database.schema}": set DATABASE_SCHEMA=${manifest.database.schema} to restore it`,
    );
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE'`,
    [schemasOf(manifest)],
  );
  if (Number(rows[0]!.n) > 0)
    throw new HubError('HUB_ERR_CONFLICT', `the database already holds hub tables in ${schemasOf(manifest).join(', ')}: restore into an empty database`);
}

/** Refuses a cluster that already has hub topics. */
export async function assertEmptyCluster(admin: HubAdmin): Promise<void> {
  const topics = (await admin.listTopics()).filter(isHubTopic);
  if (topics.length > 0)
    throw new HubError('HUB_ERR_CONFLICT', `the Kafka cluster already has hub topics (${topics.slice(0, 3).join(', ')}…): restore onto an empty cluster`);
}

/** pg_restore of the dump in one transaction, then every table's rows and checksum against the manifest. */
export async function restoreDatabase({
  pool,
  config,
  dir,
  manifest,
  log,
}: {
  pool: Pool;
  config: HubConfig;
  dir: string;
  manifest: Manifest;
  log: Logger;
}): Promise<number> {
  // The pool may have created the (empty) hub schema; the dump creates it with its tables.
  for (const schema of schemasOf(manifest)) await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)}`);
  const role = quoteIdent(manifest.database.appRole);
  await pool.query(`DO $$ BEGIN CREATE ROLE ${role} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  log.info({ tables: Object.keys(manifest.database.tables).length }, 'restoring the database');
  await runPgTool('pg_restore', config.database.url, ['--no-privileges', '--exit-on-error', '--single-transaction', join(dir, paths.postgres)]);
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const restored = await digestTables(client, schemasOf(manifest));
    await client.query('COMMIT');
    for (const [table, want] of Object.entries(manifest.database.tables)) {
      const got = restored[table];
      if (!got || got.rows !== want.rows || got.checksum !== want.checksum)
        throw new HubError(
          'HUB_ERR_UNPROCESSABLE',
          `restored table ${table} differs from the backup (${got ? `${got.rows} rows` : 'missing'}, expected ${want.rows}): drop the restored schemas and try again`,
        );
    }
    return Object.keys(restored).length;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

/**
 * Cleansing keeps its raw-topic offsets in Postgres; on the new cluster every raw topic starts
 * again at offset 0, and kept offsets would make cleansing skip that many new records. Called once
 * the restored tables matched the manifest. Returns the partitions reset.
 */
export function forgetRawOffsets({ pool, config }: { pool: Pool; config: HubConfig }): Promise<number> {
  return createProgressStore({ pool, groupId: config.cleansing.groupId }).forgetOffsets();
}

const isShareAcl = (a: AclBinding) => a.name.startsWith(shareTopicPrefix);

/**
 * The cluster side: the hub's topics with their partitions and configs (share topics excepted: the
 * hub re-creates and refills them from the landing tables for every active grant), the service
 * users, each enabled principal's Kafka user with its original credential, and its ACLs but those
 * of grants (which the hub derives from the grants again).
 */
export async function restoreKafka({
  admin,
  pool,
  config,
  dir,
  secrets,
}: {
  admin: HubAdmin;
  pool: Pool;
  config: HubConfig;
  dir: string;
  secrets: LocalSecrets;
}): Promise<{ topics: number; users: number; acls: number; withoutCredential: string[] }> {
  const topics = JSON.parse(await readFile(join(dir, paths.topics), 'utf8')) as TopicDescription[];
  const created = await admin.ensureTopics(
    topics
      .filter((t) => !t.name.startsWith(shareTopicPrefix))
      .map((t) => {
        // Durability is the new cluster's own (replicas and min.insync.replicas from its size).
        const { 'min.insync.replicas': _minIsr, ...topicConfig } = t.config;
        return { name: t.name, partitions: t.partitions, config: topicConfig };
      }),
  );
  await ensureServiceUsers(admin, secrets.serviceUsers, { cleansingGroup: config.cleansing.groupId });
  const vault = createCredentialVault({ pool, keyHashSecret: secrets.keyHashSecret });
  const credentials = await vault.enabled();
  for (const { username, credential } of credentials) await admin.restoreUser(username, credential);
  const users = new Set(credentials.map((c) => c.username));
  const acls = (JSON.parse(await readFile(join(dir, paths.acls), 'utf8')) as AclBinding[]).filter((a) => users.has(a.principal) && !isShareAcl(a));
  if (acls.length > 0) await admin.grant(acls);
  return { topics: created.length, users: credentials.length, acls: acls.length, withoutCredential: await vault.missing() };
}
