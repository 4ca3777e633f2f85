import type { Pool } from '../platform/db/pool.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import type { PrincipalService } from '../principals/service.ts';
import type { AuditEvent } from '../audit/log.ts';
import type { Principal, PrincipalCredentials } from '../principals/types.ts';
import { HubError } from '../platform/errors.ts';
import { departmentNamePattern } from '../contract/names.ts';
import { departmentGrants, departmentTopics } from './department-grants.ts';

export interface Department {
  name: string;
  displayName: string;
  code: string | null;
  createdBy: string;
  createdAt: string;
}

export interface DepartmentStore {
  byName(name: string): Promise<Department | null>;
  list(): Promise<Department[]>;
  insert(d: { name: string; displayName: string; code: string | null; createdBy: string }): Promise<Department>;
  remove(name: string): Promise<void>;
}

interface Row {
  name: string;
  display_name: string;
  code: string | null;
  created_by: string;
  created_at: Date;
}
const toDepartment = (r: Row): Department => ({
  name: r.name,
  displayName: r.display_name,
  code: r.code,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
});

export function createDepartmentStore({ pool }: { pool: Pool }): DepartmentStore {
  return {
    async byName(name) {
      const { rows } = await pool.query<Row>('SELECT * FROM departments WHERE name = $1', [name]);
      return rows[0] ? toDepartment(rows[0]) : null;
    },
    async list() {
      const { rows } = await pool.query<Row>('SELECT * FROM departments ORDER BY name');
      return rows.map(toDepartment);
    },
    async insert({ name, displayName, code, createdBy }) {
      const { rows } = await pool.query<Row>('INSERT INTO departments (name, display_name, code, created_by) VALUES ($1, $2, $3, $4) RETURNING *', [
        name,
        displayName,
        code,
        createdBy,
      ]);
      return toDepartment(rows[0] as Row);
    },
    async remove(name) {
      await pool.query('DELETE FROM departments WHERE name = $1', [name]);
    },
  };
}

export interface DepartmentService {
  /**
   * Onboards a provider department: its principal (API token, Kafka SCRAM user), its connector
   * topics, and exactly the Kafka rights of departmentGrants; raw topics come with catalog entries.
   */
  onboard(
    input: { name: string; displayName: string; code?: string | null },
    by: Principal,
  ): Promise<{ department: Department; credentials: PrincipalCredentials }>;
}

export function createDepartmentService({
  store,
  principals,
  admin,
  record,
}: {
  store: DepartmentStore;
  principals: PrincipalService;
  admin: HubAdmin;
  /** Writes an act to the audit trail: onboarding and the ACLs it creates are audited. */
  record?: (event: AuditEvent) => Promise<unknown>;
}): DepartmentService {
  return {
    async onboard({ name, displayName, code = null }, by) {
      if (!departmentNamePattern.test(name)) {
        throw new HubError(
          'HUB_ERR_VALIDATION',
          `department name "${name}" must be 2-40 characters: lower-case letters, digits or "-", starting with a letter (it becomes part of topic names)`,
        );
      }
      if (!displayName.trim()) throw new HubError('HUB_ERR_VALIDATION', "displayName (the department's official name) is required");
      const credentials = await principals.create({ name, role: 'department' });
      try {
        const department = await store.insert({ name, displayName, code, createdBy: by.name });
        await admin.ensureTopics(departmentTopics(name));
        await admin.grant(departmentGrants(name));
        await record?.({
          actor: by.name,
          actorRole: by.role,
          action: 'department.onboarded',
          method: 'api',
          subjectProvider: name,
          detail: { department: name, displayName, kafkaUser: credentials.kafka.username, aclsCreated: departmentGrants(name) },
        });
        return { department, credentials };
      } catch (err) {
        // Leave nothing half-made: a retried onboarding must be able to start from scratch.
        await admin.revoke(departmentGrants(name)).catch(() => undefined);
        await store.remove(name).catch(() => undefined);
        await principals.discard(name).catch(() => undefined);
        throw err;
      }
    },
  };
}
