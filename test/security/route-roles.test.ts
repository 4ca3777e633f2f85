import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import type { PrincipalCredentials, Role } from '../../services/principals/types.ts';

type Person = Exclude<Role, 'service'>;

/**
 * Who may call each API route, reviewed once and written down: a new route, or a route whose roles
 * widen, fails here until this table says so. Ownership between principals of the same role (one
 * department against another) is tested in trust.test.ts and trust-attacks.test.ts.
 */
const allowed: Record<string, readonly Person[]> = {
  'GET /api/v1/whoami': ['authority', 'steward', 'department', 'consumer', 'auditor', 'applicant'],
  'POST /api/v1/principals': ['authority'],
  'GET /api/v1/audit': ['auditor'],
  'GET /api/v1/audit/verify': ['auditor'],
  'GET /api/v1/audit/usage': ['authority', 'department', 'auditor'],
  'POST /api/v1/departments': ['authority'],
  'GET /api/v1/departments': ['authority', 'steward', 'department', 'consumer', 'auditor'],
  'POST /api/v1/catalog': ['authority', 'department'],
  'GET /api/v1/catalog': ['authority', 'steward', 'department', 'consumer', 'auditor'],
  'GET /api/v1/catalog/{id}': ['authority', 'steward', 'department', 'consumer', 'auditor'],
  'PUT /api/v1/catalog/{id}': ['authority', 'department'],
  'GET /api/v1/catalog/enrolments': ['authority'],
  'POST /api/v1/catalog/{id}/enrolment': ['authority'],
  'GET /api/v1/contracts/{dataset}': ['authority', 'steward', 'department', 'consumer', 'auditor'],
  'PUT /api/v1/contracts/{dataset}/authorities': ['authority'],
  'GET /api/v1/catalog/{id}/versions': ['authority', 'steward', 'department', 'consumer', 'auditor'],
  'POST /api/v1/datasets/{dataset}/records': ['department'],
  'POST /api/v1/datasets/{dataset}/files': ['department'],
  'GET /api/v1/alerts/freshness': ['authority', 'steward', 'department', 'auditor'],
  'GET /api/v1/quality/alerts': ['authority', 'steward', 'department', 'auditor'],
  'PATCH /api/v1/quality/alerts/{id}': ['authority', 'steward'],
  'GET /api/v1/cleansing/stats': ['authority', 'steward', 'auditor'],
  'POST /api/v1/scenarios': ['authority'],
  'GET /api/v1/scenarios': ['authority', 'steward', 'department', 'consumer', 'auditor'],
  'POST /api/v1/applications': ['department', 'consumer'],
  'GET /api/v1/applications': ['authority', 'department', 'consumer', 'auditor'],
  'GET /api/v1/applications/{id}': ['authority', 'department', 'consumer', 'auditor'],
  'POST /api/v1/applications/{id}/decision': ['authority', 'department'],
  'POST /api/v1/applications/{id}/opinion': ['department'],
  'POST /api/v1/applications/{id}/end': ['authority'],
  'POST /api/v1/verify': ['department', 'consumer'],
  'GET /api/v1/verify/alerts': ['authority'],
  'GET /api/v1/deadlines': ['authority', 'steward', 'department', 'consumer', 'auditor', 'applicant'],
  'GET /api/v1/grants': ['authority', 'consumer', 'auditor'],
  'PUT /api/v1/open/datasets/{dataset}': ['department'],
  'POST /api/v1/open/datasets/{dataset}/review': ['authority'],
  'GET /api/v1/open/datasets': ['authority', 'department'],
  'GET /api/v1/open/feedback': ['authority', 'department'],
  'POST /api/v1/open/feedback/{id}/answer': ['department'],
  'POST /api/v1/open/applications': ['applicant'],
  'GET /api/v1/open/applications': ['authority', 'department', 'applicant'],
  'POST /api/v1/open/applications/{id}/decision': ['department'],
  'POST /api/v1/open/applications/{id}/key': ['applicant'],
  'GET /api/v1/quality/queue': ['authority', 'steward', 'auditor'],
  'GET /api/v1/quality/summary': ['authority', 'steward', 'auditor'],
  'GET /api/v1/quality/stream': ['authority', 'steward'],
  'GET /api/v1/quality/alerts/{id}': ['authority', 'steward', 'auditor'],
  'POST /api/v1/quality/alerts/{id}/actions': ['authority', 'steward'],
  'POST /api/v1/quality/alerts/bulk': ['authority', 'steward'],
  'POST /api/v1/corrections': ['steward', 'consumer'],
  'GET /api/v1/corrections': ['authority', 'steward', 'department', 'consumer', 'auditor'],
  'GET /api/v1/corrections/{id}': ['authority', 'steward', 'department', 'consumer', 'auditor'],
  'POST /api/v1/corrections/{id}/verification': ['department'],
  'GET /api/v1/scorecards': ['authority', 'steward', 'department', 'auditor'],
};

describe('the role of every API route', () => {
  let t: TestApp;
  let callers: Record<Person, PrincipalCredentials>;
  beforeAll(async () => {
    t = await createTestApp();
    callers = {
      authority: await t.authority(),
      steward: await t.principal('steward'),
      department: await t.department('roles'),
      consumer: await t.principal('consumer'),
      auditor: await t.principal('auditor'),
      applicant: await t.principal('applicant'),
    };
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('refuses every role the table does not name with 403 and the allowed roles, and anonymous callers with 401', async () => {
    const spec = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(spec.paths)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual(Object.keys(allowed).sort());
    for (const route of routes) {
      const [method = '', path = ''] = route.split(' ');
      const url = path.replace(/\{[^}]+\}/g, 'x');
      const inject = (headers: Record<string, string>) => t.app.inject({ method: method as 'GET', url, headers });
      expect((await inject({})).statusCode, `${route} anonymous`).toBe(401);
      for (const [role, who] of Object.entries(callers) as [Person, PrincipalCredentials][]) {
        const res = await inject(t.auth(who));
        const refused = res.statusCode === 403 && /may not/.test(res.json<{ message: string }>().message);
        expect(refused, `${route} as ${role} (${res.statusCode})`).toBe(!allowed[route]?.includes(role));
        if (refused) expect(res.json<{ message: string }>().message, route).toContain(`allowed: `);
        expect(res.statusCode, `${route} as ${role}`).toBeLessThan(500);
      }
    }
  });
});
