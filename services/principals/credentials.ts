import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Pool } from '../platform/db/pool.ts';
import type { ScramCredential } from '../platform/kafka/scram.ts';
import { HubError } from '../platform/errors.ts';

/** The principals' Kafka credentials (table principal_kafka_credentials), sealed at rest. */
export interface CredentialVault {
  save(username: string, credential: ScramCredential): Promise<void>;
  remove(username: string): Promise<void>;
  /** Every kept credential of an enabled principal, unsealed. */
  enabled(): Promise<{ username: string; credential: ScramCredential }[]>;
  /** Enabled principals (the hub's own excepted) with no kept credential: issued before credentials were kept. */
  missing(): Promise<string[]>;
}

const nonceBytes = 12;
const tagBytes = 16;

export function createCredentialVault({ pool, keyHashSecret }: { pool: Pool; keyHashSecret: string }): CredentialVault {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(keyHashSecret, 'hex'), Buffer.alloc(0), 'hub principal kafka credentials', 32));
  const seal = (username: string, plain: Buffer) => {
    const nonce = randomBytes(nonceBytes);
    const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(Buffer.from(username));
    return Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  };
  const open = (username: string, sealed: Buffer) => {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, nonceBytes)).setAAD(Buffer.from(username));
      decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
      return Buffer.concat([decipher.update(sealed.subarray(nonceBytes, sealed.length - tagBytes)), decipher.final()]);
    } catch (err) {
      throw new HubError(
        'HUB_ERR_CONFIG',
        `the Kafka credential of ${username} does not open with this state folder's keyHashSecret: restore the secrets of the hub that sealed it`,
        {
          cause: err,
        },
      );
    }
  };
  return {
    async save(username, { iterations, salt, saltedPassword }) {
      await pool.query(
        `INSERT INTO principal_kafka_credentials (username, iterations, salt, sealed) VALUES ($1, $2, $3, $4)
         ON CONFLICT (username) DO UPDATE SET iterations = EXCLUDED.iterations, salt = EXCLUDED.salt, sealed = EXCLUDED.sealed, updated_at = now()`,
        [username, iterations, salt, seal(username, saltedPassword)],
      );
    },
    async remove(username) {
      await pool.query('DELETE FROM principal_kafka_credentials WHERE username = $1', [username]);
    },
    async enabled() {
      const { rows } = await pool.query<{ username: string; iterations: number; salt: Buffer; sealed: Buffer }>(
        `SELECT c.username, c.iterations, c.salt, c.sealed FROM principal_kafka_credentials c
         JOIN principals p ON p.kafka_user = c.username WHERE p.disabled_at IS NULL ORDER BY c.username`,
      );
      return rows.map((r) => ({ username: r.username, credential: { iterations: r.iterations, salt: r.salt, saltedPassword: open(r.username, r.sealed) } }));
    },
    async missing() {
      const { rows } = await pool.query<{ name: string }>(
        `SELECT p.name FROM principals p LEFT JOIN principal_kafka_credentials c ON c.username = p.kafka_user
         WHERE p.disabled_at IS NULL AND p.role <> 'service' AND c.username IS NULL ORDER BY p.name`,
      );
      return rows.map((r) => r.name);
    },
  };
}
