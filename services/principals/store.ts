import type { Pool } from '../platform/db/pool.ts';
import { HubError } from '../platform/errors.ts';
import { hashToken } from '../platform/crypto.ts';
import { departmentNamePattern } from '../contract/names.ts';
import { roles, type Principal, type Role } from './types.ts';

interface Row {
  name: string;
  role: Role;
  kafka_user: string;
}

const toPrincipal = (r: Row): Principal => ({ name: r.name, role: r.role, kafkaUser: r.kafka_user });
export const principalNamePattern = /^[a-z][a-z0-9._-]{1,62}$/;

export function checkPrincipal(name: string, role: string): asserts role is Role {
  if (!principalNamePattern.test(name)) {
    throw new HubError(
      'HUB_ERR_VALIDATION',
      `principal name "${name}" must be 2-63 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter`,
    );
  }
  if (!(roles as readonly string[]).includes(role)) {
    throw new HubError('HUB_ERR_VALIDATION', `role "${role}" is not one of ${roles.join(', ')}`);
  }
  if (role === 'department' && !departmentNamePattern.test(name)) {
    throw new HubError(
      'HUB_ERR_VALIDATION',
      `department name "${name}" must be 2-40 characters: lower-case letters, digits or "-", starting with a letter (it becomes part of topic names)`,
    );
  }
}

/** Postgres is the record of principals; the Kafka user is created by the caller (see service.ts). */
export interface PrincipalStore {
  insert(p: { name: string; role: Role; token: string; kafkaUser: string }): Promise<Principal>;
  /** Replaces the token of an existing principal (rotation, or the hub's own service principal at start). */
  setToken(name: string, token: string): Promise<void>;
  byToken(token: string): Promise<Principal | null>;
  byName(name: string): Promise<Principal | null>;
  list(): Promise<Principal[]>;
  disable(name: string): Promise<boolean>;
  remove(name: string): Promise<void>;
}

export function createPrincipalStore({ pool }: { pool: Pool }): PrincipalStore {
  return {
    async insert({ name, role, token, kafkaUser }) {
      checkPrincipal(name, role);
      try {
        const { rows } = await pool.query<Row>(
          'INSERT INTO principals (name, role, token_hash, kafka_user) VALUES ($1, $2, $3, $4) RETURNING name, role, kafka_user',
          [name, role, hashToken(token), kafkaUser],
        );
        return toPrincipal(rows[0] as Row);
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new HubError('HUB_ERR_CONFLICT', `principal "${name}" already exists`);
        throw err;
      }
    },
    async setToken(name, token) {
      const res = await pool.query('UPDATE principals SET token_hash = $2, rotated_at = now() WHERE name = $1', [name, hashToken(token)]);
      if (res.rowCount === 0) throw new HubError('HUB_ERR_NOT_FOUND', `no principal named "${name}"`);
    },
    async byToken(token) {
      const { rows } = await pool.query<Row>('SELECT name, role, kafka_user FROM principals WHERE token_hash = $1 AND disabled_at IS NULL', [hashToken(token)]);
      return rows[0] ? toPrincipal(rows[0]) : null;
    },
    async byName(name) {
      const { rows } = await pool.query<Row>('SELECT name, role, kafka_user FROM principals WHERE name = $1', [name]);
      return rows[0] ? toPrincipal(rows[0]) : null;
    },
    async list() {
      const { rows } = await pool.query<Row>('SELECT name, role, kafka_user FROM principals WHERE disabled_at IS NULL ORDER BY name');
      return rows.map(toPrincipal);
    },
    async disable(name) {
      const res = await pool.query('UPDATE principals SET disabled_at = now() WHERE name = $1 AND disabled_at IS NULL', [name]);
      return (res.rowCount ?? 0) > 0;
    },
    async remove(name) {
      await pool.query('DELETE FROM principals WHERE name = $1', [name]);
    },
  };
}
