import { pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Connection, alterUserScramCredentialsV0, describeUserScramCredentialsV0 } from '@platformatic/kafka';
import type { KafkaConnection } from './client.ts';
import { HubError, errorMessage } from '../errors.ts';

const pbkdf2Async = promisify(pbkdf2);

/** Kafka's ScramMechanism ids (KIP-554). */
const SCRAM_SHA_512 = 2;
/** Kafka's minimum for SCRAM-SHA-512 is 4096; more costs every client login. */
export const scramIterations = 8192;

/**
 * SCRAM user administration (KIP-554 AlterUserScramCredentials), which kafkajs lacks. The request
 * goes through @platformatic/kafka's protocol layer over a SCRAM-authenticated connection as the
 * hub super user; the salted password is computed here, so the password itself never travels.
 */
/** A SCRAM-SHA-512 credential as the broker stores it: what it takes to set the same password again without knowing it. */
export interface ScramCredential {
  iterations: number;
  salt: Buffer;
  /** PBKDF2 of the password: enough to log in with, so a secret. */
  saltedPassword: Buffer;
}

export interface ScramAdmin {
  /** Sets the user's password; returns the credential it set. */
  upsert(username: string, password: string): Promise<ScramCredential>;
  /** Sets a credential set before (a restore onto another cluster). */
  restore(username: string, credential: ScramCredential): Promise<void>;
  remove(username: string): Promise<void>;
  exists(username: string): Promise<boolean>;
}

export function createScramAdmin(conn: KafkaConnection): ScramAdmin {
  async function withConnection<T>(what: string, fn: (c: Connection) => Promise<T>): Promise<T> {
    const errors: unknown[] = [];
    for (const broker of conn.brokers) {
      const [host, port] = broker.split(':') as [string, string];
      const c = new Connection(conn.clientId, {
        connectTimeout: conn.connectTimeoutMs,
        requestTimeout: conn.requestTimeoutMs,
        sasl: { mechanism: 'SCRAM-SHA-512', username: conn.username, password: conn.password },
      });
      try {
        await c.connect(host, Number(port));
      } catch (err) {
        errors.push(err);
        await c.close().catch(() => undefined);
        continue;
      }
      try {
        return await fn(c);
      } catch (err) {
        throw new HubError('HUB_ERR_KAFKA_UNAVAILABLE', `Kafka failed to ${what}: ${describe(err)}`, { cause: err });
      } finally {
        await c.close().catch(() => undefined);
      }
    }
    throw new HubError('HUB_ERR_KAFKA_UNAVAILABLE', `cannot reach Kafka at ${conn.brokers.join(',')} to ${what}: ${errors.map(errorMessage).join('; ')}`);
  }

  return {
    async upsert(username, password) {
      const salt = randomBytes(32);
      const credential = { iterations: scramIterations, salt, saltedPassword: await pbkdf2Async(password, salt, scramIterations, 64, 'sha512') };
      await this.restore(username, credential);
      return credential;
    },
    async restore(username, { iterations, salt, saltedPassword }) {
      await withConnection(`set the SCRAM credential of ${username}`, (c) =>
        alterUserScramCredentialsV0.api.async(c, [], [{ name: username, mechanism: SCRAM_SHA_512, iterations, salt, saltedPassword }]),
      );
    },
    async remove(username) {
      await withConnection(`remove the SCRAM credential of ${username}`, async (c) => {
        try {
          await alterUserScramCredentialsV0.api.async(c, [{ name: username, mechanism: SCRAM_SHA_512 }], []);
        } catch (err) {
          // RESOURCE_NOT_FOUND (91): nothing to remove.
          if (!describe(err).includes('91')) throw err;
        }
      });
    },
    async exists(username) {
      return withConnection(`describe the SCRAM credential of ${username}`, async (c) => {
        try {
          const res = await describeUserScramCredentialsV0.api.async(c, [{ name: username }]);
          return res.results.some((r) => r.user === username && r.credentialInfos.length > 0);
        } catch (err) {
          if (describe(err).includes('91')) return false;
          throw err;
        }
      });
    },
  };
}

function describe(err: unknown): string {
  const response = (err as { errors?: Record<string, unknown> }).errors;
  return response ? `${errorMessage(err)} ${JSON.stringify(response)}` : errorMessage(err);
}
