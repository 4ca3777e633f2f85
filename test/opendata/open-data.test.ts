import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jsonld from 'jsonld';
import { parse } from 'csv-parse/sync';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { person } from '../helpers/people.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';

const dataset = 'base.natural_person';

describe('open data: review, desensitized publication, CKAN and DCAT, feedback', () => {
  let t: TestApp;
  let psb: PrincipalCredentials;
  let tax: PrincipalCredentials;
  let authority: PrincipalCredentials;
  const people = [person(1), person(2), person(3)];
  const pub = (method: 'GET' | 'POST', url: string, payload?: unknown, ip = '203.0.113.7') =>
    t.app.inject({ method, url: `/open${url}`, remoteAddress: ip, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

  beforeAll(async () => {
    t = await createTestApp({ listen: true, env: { HUB_OPEN_FEEDBACK_PER_HOUR: '2' } });
    psb = await t.department('psb');
    tax = await t.department('tax');
    authority = await t.authority();
    await t.declare(psb, { dataset, openType: 'open' });
    await t.declare(tax, { dataset: 'theme.tax_credit_rating' });
    await t.startCleansing();
    await t.send(psb, dataset, people);
    await t.cleansedFrom(psb.name, dataset, people.length);
  });
  afterAll(async () => t.cleanup());

  it('shows nothing until the owner asks and the authority approves; only the owner may ask, only the authority decide', async () => {
    expect((await pub('GET', '/api/3/action/package_list')).json()).toMatchObject({ success: true, result: [] });
    expect((await t.api(tax, 'PUT', `/open/datasets/${dataset}`, { openType: 'open', licence: 'CC-BY-4.0' })).statusCode).toBe(404);
    const asked = await t.api(psb, 'PUT', `/open/datasets/${dataset}`, { openType: 'open', licence: 'CC-BY-4.0', description: '人口基础信息（脱敏）' });
    expect(asked.statusCode).toBe(200);
    expect(asked.json()).toMatchObject({ status: 'pending', openType: 'open' });
    expect((await t.api(psb, 'POST', `/open/datasets/${dataset}/review`, { approve: true, reason: '自批' })).statusCode).toBe(403);
    expect((await pub('GET', `/api/3/action/package_show?id=${dataset}`)).statusCode).toBe(404);
    const reviewed = await t.api(authority, 'POST', `/open/datasets/${dataset}/review`, { approve: true, reason: '已脱敏，同意开放' });
    expect(reviewed.json()).toMatchObject({ status: 'approved', reviewedBy: authority.name });
    expect((await t.api(authority, 'POST', `/open/datasets/${dataset}/review`, { approve: false, reason: '再审' })).statusCode).toBe(409);
  });

  it('publishes CSV and NDJSON without grade-4 fields and with grade-3 fields desensitized', async () => {
    expect(await t.app.openData.publishDue()).toBe(1);
    const csv = await pub('GET', `/datasets/${dataset}/download.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    const ndjson = await pub('GET', `/datasets/${dataset}/download.ndjson`);
    const lines = ndjson.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    const byPhone = (p: Record<string, unknown>) => rows.find((r) => r.gender === p.gender && r.updated_at === new Date(p.updated_at as number).toISOString());
    for (const file of [rows, lines]) {
      for (const row of file) {
        expect(Object.keys(row)).not.toContain('id_number');
        expect(Object.keys(row)).toContain('name');
        expect(String(row.name)).toMatch(/^.\*+$/);
        expect(String(row.phone)).toMatch(/^\d{3}\*{4}\d{4}$/);
        expect(String(row.birth_date)).toMatch(/^\d{4}$/);
      }
    }
    for (const p of people) {
      const row = byPhone(p);
      expect(row).toBeDefined();
      expect(csv.body).not.toContain(String(p.id_number));
      expect(csv.body).not.toContain(String(p.name));
      expect(ndjson.body).not.toContain(String(p.phone));
    }
    const { result } = (await pub('GET', '/api/3/action/package_show?id=base--natural_person')).json() as {
      result: { resources: { format: string; url: string }[] };
    };
    expect(result.resources.map((r) => r.format)).toEqual(['CSV', 'NDJSON']);
  });

  it('resumes a download from a row of the same snapshot', async () => {
    const first = await pub('GET', `/datasets/${dataset}/download.csv`);
    const snapshot = first.headers['x-snapshot-id'];
    const rest = await pub('GET', `/datasets/${dataset}/download.csv?from=2&snapshot=${snapshot}`);
    const all = parse(first.body, { columns: true }) as unknown[];
    expect(parse(rest.body, { columns: true })).toEqual(all.slice(1));
  });

  it('republishes when the source changes, and not when it does not', async () => {
    const before = (await pub('GET', `/datasets/${dataset}`)).json() as { snapshot: { id: number } };
    expect(await t.app.openData.publishDue()).toBe(0);
    await t.send(psb, dataset, [person(4)]);
    await t.cleansedFrom(psb.name, dataset, 4);
    expect(await t.app.openData.publishDue()).toBe(1);
    const after = (await pub('GET', `/datasets/${dataset}`)).json() as { snapshot: { id: number; rows: number } };
    expect(after.snapshot.id).toBeGreaterThan(before.snapshot.id);
    expect(after.snapshot.rows).toBe(4);
    expect(parse((await pub('GET', `/datasets/${dataset}/download.csv`)).body, { columns: true })).toHaveLength(4);
  });

  it('answers the CKAN actions in CKAN shape and the DCAT catalog as RDF with one dcat:Dataset per open dataset', async () => {
    const list = (await pub('GET', '/api/3/action/package_list')).json() as { success: boolean; result: string[] };
    expect(list).toMatchObject({ success: true, result: ['base--natural_person'] });
    const search = (await pub('GET', '/api/3/action/package_search?q=natural')).json() as { success: boolean; result: { count: number; results: unknown[] } };
    expect(search).toMatchObject({ success: true, result: { count: 1 } });
    expect((await pub('GET', '/api/3/action/package_search?q=nothing-like-this')).json()).toMatchObject({ success: true, result: { count: 0, results: [] } });
    const missing = await pub('GET', '/api/3/action/package_show?id=theme--tax_credit_rating');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ success: false, error: { __type: 'Not Found Error' } });

    const doc = (await pub('GET', '/catalog.jsonld')).json() as Record<string, unknown>;
    const quads = (await jsonld.toRDF(doc as jsonld.JsonLdDocument, { format: 'application/n-quads' })) as unknown as string;
    const datasets = quads.split('\n').filter((l) => l.includes('<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset>'));
    expect(datasets).toHaveLength(1);
    expect(quads).toContain('<http://www.w3.org/ns/dcat#downloadURL>');
  });

  it('keeps a not-open dataset invisible and refuses its download', async () => {
    await t.api(tax, 'PUT', '/open/datasets/theme.tax_credit_rating', { openType: 'open', licence: 'CC-BY-4.0' });
    await t.api(authority, 'POST', '/open/datasets/theme.tax_credit_rating/review', { approve: true, reason: '同意' });
    // The provider's own catalog entry still says not_open: it wins over the review.
    await t.app.openData.publishDue();
    expect((await pub('GET', '/api/3/action/package_list')).json()).toMatchObject({ result: ['base--natural_person'] });
    expect((await pub('GET', '/datasets/theme.tax_credit_rating/download.csv')).statusCode).toBe(404);
    expect((await pub('GET', '/datasets/theme.tax_credit_rating')).statusCode).toBe(404);
    const doc = JSON.stringify((await pub('GET', '/catalog.jsonld')).json());
    expect(doc).not.toContain('tax_credit_rating');
  });

  it('routes feedback to the owner, shows its answer, and throttles a client beyond its allowance with 429', async () => {
    const sent = await pub('POST', `/datasets/${dataset}/feedback`, { kind: 'problem', message: '出生年份有误', contact: 'user@example.org' }, '198.51.100.9');
    expect(sent.statusCode).toBe(201);
    const { id } = sent.json() as { id: string };
    expect((await pub('POST', `/datasets/${dataset}/feedback`, { kind: 'request', message: '希望增加字段' }, '198.51.100.9')).statusCode).toBe(201);
    const third = await pub('POST', `/datasets/${dataset}/feedback`, { kind: 'request', message: '第三条' }, '198.51.100.9');
    expect(third.statusCode).toBe(429);
    // The feedback window is an hour: the client is told to wait for it, not to retry at once.
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(60);
    expect(third.json()).toMatchObject({ code: 'HUB_ERR_RATE_LIMITED' });
    // Another client is not held back by the first.
    expect((await pub('POST', `/datasets/${dataset}/feedback`, { kind: 'request', message: '另一位用户' }, '198.51.100.10')).statusCode).toBe(201);

    const inbox = (await t.api(psb, 'GET', '/open/feedback?answered=false')).json() as { id: string; contact: string | null }[];
    expect(inbox.find((f) => f.id === id)?.contact).toBe('user@example.org');
    expect((await t.api(tax, 'GET', '/open/feedback')).json()).toEqual([]);
    expect((await t.api(tax, 'POST', `/open/feedback/${id}/answer`, { answer: '冒充回复' })).statusCode).toBe(404);
    expect((await t.api(psb, 'POST', `/open/feedback/${id}/answer`, { answer: '已核实并更正' })).statusCode).toBe(200);
    const shown = (await pub('GET', `/datasets/${dataset}/feedback`)).json() as Record<string, unknown>[];
    expect(shown).toEqual([expect.objectContaining({ id, answer: '已核实并更正', message: '出生年份有误' })]);
    expect(JSON.stringify(shown)).not.toContain('user@example.org');
    expect((await pub('POST', '/datasets/theme.tax_credit_rating/feedback', { kind: 'problem', message: '看不见的数据' }, '198.51.100.11')).statusCode).toBe(
      404,
    );
  });

  it('shows the owner its requests with download counts', async () => {
    const mine = (await t.api(psb, 'GET', '/open/datasets')).json() as {
      dataset: string;
      effectiveOpenType: string;
      downloads: { total: number; byFormat: Record<string, number> };
    }[];
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ dataset, effectiveOpenType: 'open' });
    expect(mine[0]?.downloads.byFormat.csv).toBeGreaterThanOrEqual(4);
    expect(mine[0]?.downloads.byFormat.ndjson).toBe(1);
    const theirs = (await t.api(tax, 'GET', '/open/datasets')).json() as { dataset: string }[];
    expect(theirs.map((d) => d.dataset)).toEqual(['theme.tax_credit_rating']);
  });
});
