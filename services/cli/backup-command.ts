import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { HubError, errorMessage, isHubError } from '../platform/errors.ts';
import { openPool } from '../platform/db/pool.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import { loadOrCreateSecrets, type LocalSecrets } from '../platform/secrets.ts';
import { openAdmin, resolveKafka } from '../hub/kafka-connection.ts';
import { serviceUserNames } from '../hub/topology.ts';
import { backupHub } from '../backup/backup.ts';
import { verifyBackup } from '../backup/manifest.ts';
import {
  assertEmptyCluster,
  assertEmptyDatabase,
  forgetRawOffsets,
  installSecrets,
  openBackup,
  restoreDatabase,
  restoreKafka,
  schemasOf,
} from '../backup/restore.ts';

export interface BackupCommand {
  config: HubConfig;
  log: Logger;
  /** backup | backup-verify | restore */
  action: 'backup' | 'verify' | 'restore';
  dir: string | undefined;
  secrets: boolean;
  passphraseFile: string | undefined;
  out: Writable;
}

async function passphraseFrom(file: string | undefined): Promise<string | null> {
  if (file === undefined) return null;
  try {
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new HubError('HUB_ERR_VALIDATION', `cannot read the passphrase file ${file}: ${errorMessage(err)}`, { cause: err });
  }
}

async function withKafka<T>(config: HubConfig, secrets: LocalSecrets, log: Logger, fn: (admin: HubAdmin) => Promise<T>): Promise<T> {
  const kafka = await resolveKafka(config, secrets, log, { reuseRunning: true });
  try {
    const admin = await openAdmin(kafka.connection, config, log);
    try {
      return await fn(admin);
    } finally {
      await admin.close().catch(() => undefined);
    }
  } finally {
    await kafka.broker?.stop();
  }
}

/** `hub backup <dir> [--secrets --passphrase-file F]`, `hub backup verify <dir>`, `hub restore <dir> [--passphrase-file F]`. */
export async function runBackupCommand({ config, log, action, dir, secrets, passphraseFile, out }: BackupCommand): Promise<void> {
  if (!dir)
    throw new HubError(
      'HUB_ERR_VALIDATION',
      'usage: hub backup <dir> [--secrets --passphrase-file F] | hub backup verify <dir> | hub restore <dir> [--passphrase-file F]',
    );
  if (action === 'verify') {
    const manifest = await verifyBackup(dir);
    out.write(`backup ${dir} is intact: ${manifest.files.length} files, ${Object.keys(manifest.database.tables).length} tables, taken ${manifest.createdAt}\n`);
    return;
  }
  const passphrase = await passphraseFrom(passphraseFile);
  if (action === 'backup') {
    if (secrets && passphrase === null) throw new HubError('HUB_ERR_VALIDATION', '--secrets needs --passphrase-file: secrets are only ever written sealed');
    const pool = await openPool({ ...config.database, log });
    try {
      const own = await loadOrCreateSecrets(config.stateDir, serviceUserNames);
      const manifest = await withKafka(config, own, log, (admin) => backupHub({ config, pool, admin, log }, { dir, passphrase: secrets ? passphrase : null }));
      const rows = Object.values(manifest.database.tables).reduce((n, t) => n + t.rows, 0);
      out.write(
        `backup written to ${dir}: ${Object.keys(manifest.database.tables).length} tables (${rows} rows), ${manifest.kafka.topics} topics, ${manifest.kafka.acls} ACLs, secrets ${manifest.secrets ? 'sealed' : 'not included'}\n`,
      );
    } finally {
      await pool.end();
    }
    return;
  }
  const opened = await openBackup(dir, passphrase);
  const pool = await openPool({ ...config.database, log });
  try {
    await assertEmptyDatabase(pool, config, opened.manifest);
    const installed = await installSecrets(config, opened, dir);
    const own = await loadOrCreateSecrets(config.stateDir, serviceUserNames);
    const summary = await withKafka(config, { ...own, ...installed }, log, async (admin) => {
      await assertEmptyCluster(admin);
      const tables = await restoreDatabase({ pool, config, dir, manifest: opened.manifest, log });
      const offsets = await forgetRawOffsets({ pool, config });
      try {
        return { tables, offsets, ...(await restoreKafka({ admin, pool, config, dir, secrets: installed })) };
      } catch (err) {
        // The database is in, the cluster is not: a second restore would be refused as non-empty.
        throw new HubError(
          isHubError(err) ? err.code : 'HUB_ERR_KAFKA_UNAVAILABLE',
          `the database was restored but the Kafka part failed (${errorMessage(err)}): drop the schemas ${schemasOf(opened.manifest).join(', ')} and the hub topics, then restore again`,
          { cause: err },
        );
      }
    });
    out.write(
      `restored ${dir}: ${summary.tables} tables match the manifest, ${summary.topics} topics, ${summary.users} Kafka users, ${summary.acls} ACLs, ${summary.offsets} cleansing offsets reset (the raw topics start again)${summary.withoutCredential.length > 0 ? `; without a kept Kafka credential (rotate them): ${summary.withoutCredential.join(', ')}` : ''}; start the hub: it re-creates and refills the share topics of every active grant\n`,
    );
  } finally {
    await pool.end();
  }
}
