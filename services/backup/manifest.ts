import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { HubError, errorMessage } from '../platform/errors.ts';
import type { TableDigest } from './digest.ts';
import type { Sealed } from './seal.ts';

export const manifestFormat = 'gov-data-hub-backup/1';

export interface BackupFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: typeof manifestFormat;
  createdAt: string;
  hubVersion: string;
  database: { schema: string; landingSchemas: string[]; appRole: string; tables: Record<string, TableDigest> };
  kafka: { topics: number; acls: number };
  /** Sealed with the passphrase when `hub backup --secrets` was asked; null otherwise. */
  secrets: { file: string; kdf: Sealed['kdf']; cipher: Sealed['cipher'] } | null;
  files: BackupFile[];
  /**
   * With sealed secrets: HMAC of the rest of the manifest under a key from the passphrase, so that
   * a manifest edited to match edited files is refused too. Without: absent (checksums only).
   */
  mac?: string;
}

/** The text a manifest's MAC covers: the manifest without its MAC. */
export function macText(manifest: Manifest): string {
  const { mac: _mac, ...rest } = manifest;
  return JSON.stringify(rest);
}

export const paths = {
  manifest: 'manifest.json',
  postgres: 'postgres',
  topics: 'kafka/topics.json',
  acls: 'kafka/acls.json',
  auditHead: 'state/audit-head.json',
  secrets: 'state/secrets.sealed.json',
} as const;

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else yield full;
  }
}

/** Every file of the backup but the manifest, with its size and hash. */
export async function listFiles(dir: string): Promise<BackupFile[]> {
  const out: BackupFile[] = [];
  for await (const file of walk(dir)) {
    const path = relative(dir, file);
    if (path === paths.manifest) continue;
    out.push({ path, bytes: (await stat(file)).size, sha256: await sha256(file) });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeFile(join(dir, paths.manifest), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}

/** The manifest, after checking every file it lists is there, unchanged, and nothing else is. */
export async function verifyBackup(dir: string): Promise<Manifest> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, paths.manifest), 'utf8')) as Manifest;
  } catch (err) {
    throw new HubError('HUB_ERR_UNPROCESSABLE', `${dir} is not a hub backup: cannot read ${paths.manifest} (${errorMessage(err)})`, { cause: err });
  }
  if (manifest.format !== manifestFormat)
    throw new HubError('HUB_ERR_UNPROCESSABLE', `${dir}: backup format "${String(manifest.format)}", expected ${manifestFormat}`);
  const actual = new Map((await listFiles(dir)).map((f) => [f.path, f]));
  for (const f of manifest.files) {
    const found = actual.get(f.path);
    if (!found) throw new HubError('HUB_ERR_UNPROCESSABLE', `backup ${dir} is incomplete: ${f.path} is missing`);
    if (found.sha256 !== f.sha256 || found.bytes !== f.bytes)
      throw new HubError('HUB_ERR_UNPROCESSABLE', `backup ${dir} was changed or damaged: ${f.path} does not match its checksum in the manifest`);
    actual.delete(f.path);
  }
  const extra = [...actual.keys()];
  if (extra.length > 0) throw new HubError('HUB_ERR_UNPROCESSABLE', `backup ${dir} holds files its manifest does not list: ${extra.slice(0, 3).join(', ')}`);
  return manifest;
}
