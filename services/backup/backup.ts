import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import { HubError } from '../platform/errors.ts';
import { readSecrets } from '../platform/secrets.ts';
import { cleanTopicPrefix, deadLetterTopic, qualityAlertsTopic, rawTopicPrefix, shareTopicPrefix } from '../contract/names.ts';
import { auditHeadFile } from '../hub/topology.ts';
import { digestTables } from './digest.ts';
import { listFiles, macText, manifestFormat, paths, writeManifest, type Manifest } from './manifest.ts';
import { runPgTool } from './pg-tools.ts';
import { passphraseMac, seal, type Sealed } from './seal.ts';

export interface BackupDeps {
  config: HubConfig;
  /** A pool on DATABASE_URL (the owner, who can read every hub table). */
  pool: Pool;
  admin: HubAdmin;
  log: Logger;
}

/** The hub's topics: raw, clean and share topics, dead letters and quality alerts. */
export function isHubTopic(name: string): boolean {
  return [rawTopicPrefix, cleanTopicPrefix, shareTopicPrefix].some((p) => name.startsWith(p)) || name === deadLetterTopic || name === qualityAlertsTopic;
}

export function landingSchemas(config: HubConfig): string[] {
  return ['base', 'theme'].map((layer) => `${config.cleansing.schemaPrefix}${layer}`);
}

async function hubVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/**
 * A consistent, verifiable backup in `dir`: the hub's Postgres schemas dumped from one snapshot,
 * each table's row count and checksum read in that same snapshot, the hub's topics (partitions,
 * replicas, configs) and the cluster's ACLs, the audit head, and the state folder's secrets only
 * when a passphrase is given (sealed with it). The manifest lists every file with its SHA-256.
 */
export async function backupHub({ config, pool, admin, log }: BackupDeps, { dir, passphrase }: { dir: string; passphrase: string | null }): Promise<Manifest> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await readdir(dir)).length > 0) throw new HubError('HUB_ERR_CONFLICT', `${dir} is not empty: back up into a new folder`);
  const secrets = passphrase === null ? null : await readSecrets(config.stateDir);
  if (passphrase !== null && !secrets) throw new HubError('HUB_ERR_CONFIG', `no secrets in ${config.stateDir} to back up (HUB_STATE_DIR)`);

  const client = await pool.connect();
  let tables: Manifest['database']['tables'];
  let schemas: string[];
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot');
    const wanted = [config.database.schema, ...landingSchemas(config)];
    const { rows: present } = await client.query<{ name: string }>('SELECT nspname AS name FROM pg_namespace WHERE nspname = ANY($1)', [wanted]);
    schemas = wanted.filter((s) => present.some((p) => p.name === s));
    if (!schemas.includes(config.database.schema))
      throw new HubError('HUB_ERR_CONFIG', `no hub schema "${config.database.schema}" in the database: nothing to back up`);
    tables = await digestTables(client, schemas);
    log.info({ tables: Object.keys(tables).length, schemas }, 'dumping the database from one snapshot');
    await runPgTool('pg_dump', config.database.url, [
      `--snapshot=${rows[0]!.snapshot}`,
      '--format=directory',
      `--file=${join(dir, paths.postgres)}`,
      '--no-privileges',
      ...schemas.map((s) => `--schema=${s}`),
    ]);
    await client.query('COMMIT');
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }

  const topics = await admin.describeTopics((await admin.listTopics()).filter(isHubTopic).sort());
  const acls = await admin.allAcls();
  await mkdir(join(dir, 'kafka'), { mode: 0o700 });
  await writeFile(join(dir, paths.topics), `${JSON.stringify(topics, null, 2)}\n`);
  await writeFile(join(dir, paths.acls), `${JSON.stringify(acls, null, 2)}\n`);

  await mkdir(join(dir, 'state'), { mode: 0o700 });
  await copyFile(auditHeadFile(config), join(dir, paths.auditHead)).catch((err: unknown) => {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  });
  let sealedInfo: Manifest['secrets'] = null;
  let sealed: Sealed | null = null;
  if (passphrase !== null && secrets) {
    sealed = await seal(Buffer.from(JSON.stringify(secrets)), passphrase);
    await writeFile(join(dir, paths.secrets), `${JSON.stringify(sealed)}\n`, { mode: 0o600 });
    sealedInfo = { file: paths.secrets, kdf: sealed.kdf, cipher: sealed.cipher };
  }

  const manifest: Manifest = {
    format: manifestFormat,
    createdAt: new Date().toISOString(),
    hubVersion: await hubVersion(),
    database: { schema: config.database.schema, landingSchemas: schemas.filter((s) => s !== config.database.schema), appRole: config.database.appRole, tables },
    kafka: { topics: topics.length, acls: acls.length },
    secrets: sealedInfo,
    files: await listFiles(dir),
  };
  if (sealed && passphrase !== null) manifest.mac = await passphraseMac(sealed, passphrase, macText(manifest));
  await writeManifest(dir, manifest);
  return manifest;
}
