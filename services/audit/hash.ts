import { createHash, createHmac } from 'node:crypto';

export const genesisHash = '0'.repeat(64);

/** The fields a row's hash covers: everything but the hash itself. */
export interface HashedContent {
  seq: number;
  at: string;
  actor: string;
  actorRole: string;
  action: string;
  purpose: string | null;
  approver: string | null;
  subjectProvider: string | null;
  datasets: readonly string[];
  fields: readonly string[];
  detail: Readonly<Record<string, unknown>>;
  method: string;
  prevHash: string;
}

/** JSON with object keys sorted at every level, so jsonb's own key order does not matter. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * SHA-256 (hex) over a versioned, positional JSON array of the content: unambiguous for nulls and
 * arrays. With a key, HMAC-SHA256 over the same content marked v2: only the key's holder can chain.
 */
export function auditHash(c: HashedContent, key?: string): string {
  const canonical = canonicalJson([
    key === undefined ? 'audit.v1' : 'audit.v2',
    String(c.seq),
    c.at,
    c.actor,
    c.actorRole,
    c.action,
    c.purpose,
    c.approver,
    c.subjectProvider,
    c.datasets,
    c.fields,
    c.detail,
    c.method,
    c.prevHash,
  ]);
  return (key === undefined ? createHash('sha256') : createHmac('sha256', key)).update(canonical, 'utf8').digest('hex');
}

/** The chain's key, derived from the hub's key-hash secret (kept in the state folder, outside the database). */
export function auditChainKey(secret: string): string {
  return createHmac('sha256', secret).update('hub audit chain v2').digest('hex');
}
