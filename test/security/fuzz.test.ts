import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';

/**
 * Every API route, as the roles most likely to get past its role check, with hostile path
 * parameters, queries and bodies: nothing answers 5xx, and every refusal says why.
 */
describe('hostile input on every route', () => {
  let t: TestApp;
  let callers: PrincipalCredentials[];

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    const dept = await t.department('fuzz');
    await t.declare(dept, { dataset: 'theme.tax_credit_rating', updateCycle: 'yearly' });
    callers = [await t.authority(), dept, await t.principal('consumer'), await t.principal('auditor')];
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const deep = (n: number): unknown => (n === 0 ? 'x' : { a: deep(n - 1) });
  const huge = 'x'.repeat(2 * 1024 * 1024);
  const params = ['%00', 'a'.repeat(3000), '..%2F..', '1e20', '%E2%80%AE', 'theme.tax_credit_rating'];
  const queries = ['', '?limit=1e20&offset=-1', '?q=%00&provider=%00&dataset=%00&key=%00', '?limit=abc&status=%01', `?q=${'y'.repeat(5000)}`];
  const bodies: (string | undefined)[] = [
    undefined,
    '',
    '{',
    '[]',
    '"x"',
    '1e400',
    JSON.stringify({ name: 'a\u0000b', dataset: 'theme.tax_credit_rating', reason: '\u0000', records: [{ taxpayer_id: '\u0000' }] }),
    JSON.stringify({ dataset: 'theme.tax_credit_rating', records: [{ taxpayer_name: huge }] }),
    JSON.stringify(deep(3000)),
    JSON.stringify({ limit: 1e308, offset: -1, version: 1e20, grade: 1e20, maxValidityDays: 1e20, validUntil: '9999-99-99' }),
    JSON.stringify({
      dataset: 'theme.tax_credit_rating',
      schema: { type: 'record', name: 'X', fields: Array.from({ length: 2000 }, (_, i) => ({ name: `f${i}`, type: 'string' })) },
    }),
    JSON.stringify({ records: Array.from({ length: 6000 }, () => ({})) }),
    JSON.stringify({
      purpose: '\u0007',
      datasets: [{ dataset: 'base.\u0000', fields: ['\u0000'] }],
      validUntil: new Date(Date.now() + 86_400_000).toISOString(),
      use: 'verification',
    }),
  ];

  it('answers no route with a 5xx, and says why it refuses', async () => {
    const spec = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => ({ method: m.toUpperCase() as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path })),
    );
    expect(routes.length).toBeGreaterThan(30);
    const failures: string[] = [];
    let sent = 0;
    for (const { method, path } of routes) {
      if (!path.startsWith('/api/v1/')) continue;
      for (const param of params) {
        const url = path.replace(/\{[^}]+\}/g, param);
        const variants = method === 'GET' || method === 'DELETE' ? queries.map((q) => ({ q, body: undefined })) : bodies.map((body) => ({ q: '', body }));
        for (const who of callers) {
          for (const { q, body } of variants) {
            const res = await t.app.inject({
              method,
              url: `${url}${q}`,
              headers: { authorization: `Bearer ${who.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
              ...(body === undefined ? {} : { payload: body }),
            });
            sent++;
            const what = `${method} ${url.slice(0, 80)}${q.slice(0, 40)} as ${who.role} with ${String(body).slice(0, 60)}`;
            if (res.statusCode >= 500) failures.push(`${res.statusCode} ${what}: ${res.body.slice(0, 200)}`);
            else if (res.statusCode >= 400) {
              const message = (res.json() as { message?: unknown }).message;
              if (typeof message !== 'string' || message.length === 0) failures.push(`${res.statusCode} without a reason: ${what}`);
            }
          }
        }
      }
    }
    expect(sent).toBeGreaterThan(1000);
    expect(failures).toEqual([]);
  });

  it('answers no registry route with a 5xx either', async () => {
    const basic = (who: PrincipalCredentials) => `Basic ${Buffer.from(`${who.name}:${who.token}`).toString('base64')}`;
    const subjects = ['raw.x.base.natural_person-value', '%00', 'a'.repeat(3000), '%E2%80%AE'];
    const schemas = [
      JSON.stringify({ schema: '{"type":"record","name":"A","fields":[{"name":"a","type":"string","doc":"\u0000"}]}' }),
      JSON.stringify({ schema: `{"type":"record","name":"A","doc":"\u0000","fields":[]}` }),
      JSON.stringify({ schema: JSON.stringify(deep(2000)) }),
      JSON.stringify({ schema: huge }),
      JSON.stringify({ compatibility: '\u0000' }),
      '{',
    ];
    const failures: string[] = [];
    for (const who of callers.slice(0, 2)) {
      for (const subject of subjects) {
        for (const [method, url] of [
          ['POST', `/registry/subjects/${subject}/versions`],
          ['POST', `/registry/subjects/${subject}`],
          ['PUT', `/registry/config/${subject}`],
          ['POST', `/registry/compatibility/subjects/${subject}/versions/latest`],
        ] as const) {
          for (const payload of schemas) {
            const res = await t.app.inject({
              method,
              url,
              headers: { authorization: basic(who), 'content-type': 'application/vnd.schemaregistry.v1+json' },
              payload,
            });
            if (res.statusCode >= 500) failures.push(`${res.statusCode} ${method} ${url.slice(0, 60)} ${payload.slice(0, 60)}: ${res.body.slice(0, 200)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('names the limit it enforces: fields per schema, schema size, nesting, integer parameters, control characters', async () => {
    const [authority, dept] = callers as [PrincipalCredentials, PrincipalCredentials];
    const record = (fields: unknown[], doc = '测试数据集') => ({
      type: 'record',
      name: 'Wide',
      namespace: 'gov.hub.theme',
      doc,
      dataset: 'theme.wide_thing',
      layer: 'theme',
      businessKey: ['f0'],
      fields,
    });
    const field = (i: number) => ({ name: `f${i}`, type: 'string', doc: '字段', grade: 1 });
    const wide = await t.api(dept, 'POST', '/catalog', { dataset: 'theme.wide_thing', schema: record(Array.from({ length: 1000 }, (_, i) => field(i))) });
    expect(wide.statusCode).toBe(422);
    expect(wide.json().message).toMatch(/1000 fields; a dataset has at most 500/);
    const verbose = await t.api(dept, 'POST', '/catalog', { dataset: 'theme.wide_thing', schema: record([field(0)], `长${'文'.repeat(1024 * 1024)}`) });
    expect(verbose.statusCode).toBe(422);
    expect(verbose.json().message).toMatch(/a dataset's schema has at most 262144 bytes/);
    const nested = await t.api(authority, 'POST', '/scenarios', deep(100));
    expect(nested.statusCode).toBe(400);
    expect(nested.json().message).toMatch(/nests deeper than 32 levels/);
    const line = await t.app.inject({
      method: 'POST',
      url: '/api/v1/datasets/theme.tax_credit_rating/files?fromLine=1e20',
      headers: { authorization: `Bearer ${dept.token}`, 'content-type': 'text/csv' },
      payload: 'a,b\n1,2\n',
    });
    expect(line.statusCode).toBe(400);
    expect(line.json().message).toMatch(/fromLine/);
    const nul = await t.api(dept, 'GET', '/catalog?q=a%00b');
    expect(nul.statusCode).toBe(400);
    expect(nul.json().message).toBe('query.q holds the control character U+0000, which no field of the hub accepts');
  });
});
