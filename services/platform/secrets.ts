import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { newPassword, newToken } from './crypto.ts';

/** Local secrets, generated on first start into the git-ignored state folder (mode 0600). */
export interface LocalSecrets {
  /** Super user of the local broker; with an external broker KAFKA_USERNAME/PASSWORD are used. */
  kafkaSuperUser: string;
  kafkaSuperPassword: string;
  /** The hub's own principal, used to call its registry and API. */
  serviceToken: string;
  /** Passwords of the hub's own Kafka service users, by user name. */
  serviceUsers: Record<string, string>;
  /** HMAC key (hex) for business keys in the audit trail and Redis: kept out of the database so its hashes cannot be brute-forced there. */
  keyHashSecret: string;
}

const newKeyHashSecret = () => randomBytes(32).toString('hex');

export async function loadOrCreateSecrets(stateDir: string, serviceUserNames: readonly string[]): Promise<LocalSecrets> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, 'secrets.json');
  // Files written before a secret existed lack it: it is added, the rest kept.
  let secrets: (Omit<LocalSecrets, 'keyHashSecret'> & { keyHashSecret?: string }) | null = null;
  try {
    secrets = JSON.parse(await readFile(file, 'utf8')) as Omit<LocalSecrets, 'keyHashSecret'> & { keyHashSecret?: string };
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
  let changed = secrets === null || !secrets.keyHashSecret;
  const base: LocalSecrets = secrets
    ? { ...secrets, keyHashSecret: secrets.keyHashSecret || newKeyHashSecret() }
    : { kafkaSuperUser: 'hub-admin', kafkaSuperPassword: newPassword(), serviceToken: newToken(), serviceUsers: {}, keyHashSecret: newKeyHashSecret() };
  for (const name of serviceUserNames) {
    if (!base.serviceUsers[name]) {
      base.serviceUsers[name] = newPassword();
      changed = true;
    }
  }
  if (changed) {
    const tmp = `${file}.tmp`;
    await writeFile(tmp, `${JSON.stringify(base, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, file);
  }
  return base;
}

/** The state folder's secrets if they exist, without creating or changing anything. */
export async function readSecrets(stateDir: string): Promise<Partial<LocalSecrets> | null> {
  try {
    return JSON.parse(await readFile(join(stateDir, 'secrets.json'), 'utf8')) as Partial<LocalSecrets>;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null;
    throw err;
  }
}
