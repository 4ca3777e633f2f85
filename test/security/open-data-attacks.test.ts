import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { person } from '../helpers/people.ts';
import { waitFor } from '../helpers/wait.ts';
import { loadSchemaFiles } from '../../services/contract/dataset-schema.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';

const dataset = 'base.natural_person';

/** The public, a hostile department and a careless owner against open data. */
describe('open data: attacks from the public and from other departments', () => {
  let t: TestApp;
  let psb: PrincipalCredentials;
  let authority: PrincipalCredentials;
  const pub = (url: string) => t.app.inject({ method: 'GET', url: `/open${url}` });

  beforeAll(async () => {
    t = await createTestApp({ listen: true, env: { HUB_OPEN_MAX_DOWNLOADS: '1' } });
    psb = await t.department('psb');
    authority = await t.authority();
    await t.declare(psb, { dataset, openType: 'open' });
    await t.startCleansing();
    await t.send(psb, dataset, [person(1), person(2)]);
    await t.cleansedFrom(psb.name, dataset, 2);
    await t.api(psb, 'PUT', `/open/datasets/${dataset}`, { openType: 'open', licence: 'CC-BY-4.0' });
    await t.api(authority, 'POST', `/open/datasets/${dataset}/review`, { approve: true, reason: '同意' });
    await t.app.openData.publishDue();
  });
  afterAll(async () => t.cleanup());

  it('streams only as many downloads at once as configured, so the public cannot take every database connection', async () => {
    const held = await t.app.openData.download(dataset, 'csv', { from: 1 });
    const refused = await pub(`/datasets/${dataset}/download.csv`);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'HUB_ERR_RATE_LIMITED' });
    // Reading the held download to its end frees its place (and its connection).
    let text = '';
    for await (const chunk of held.stream) text += String(chunk);
    expect(parse(text, { columns: true })).toHaveLength(2);
    expect((await pub(`/datasets/${dataset}/download.csv`)).statusCode).toBe(200);
    // A download given up half way frees its place too.
    const abandoned = await t.app.openData.download(dataset, 'ndjson', { from: 1 });
    abandoned.stream.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect((await pub(`/datasets/${dataset}/download.ndjson`)).statusCode).toBe(200);
  });

  it('applies a raised grade at once: the snapshot that still holds the field is not served', async () => {
    const [file] = (await loadSchemaFiles()).filter((s) => s.dataset === dataset);
    const json = JSON.parse(file!.text) as { fields: { name: string; grade: number }[] };
    const raised = { ...json, fields: json.fields.map((f) => (f.name === 'gender' ? { ...f, grade: 4 } : f)) };
    const res = await t.api(psb, 'PUT', `/catalog/${psb.name}.${dataset}`, { schema: raised, reason: '性别升为高敏感' });
    expect(res.statusCode).toBe(200);
    const during = await pub(`/datasets/${dataset}/download.csv`);
    expect(during.statusCode).toBe(503);
    expect(during.json()).toMatchObject({ code: 'HUB_ERR_NOT_READY' });
    // The refused download started a republication; the worker's tick would do the same.
    const after = await waitFor(
      async () => {
        await t.app.openData.publishDue();
        return pub(`/datasets/${dataset}/download.csv`);
      },
      (r) => r.statusCode === 200,
    );
    const rows = parse(after.body, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).not.toContain('gender');
    expect(((await pub(`/datasets/${dataset}`)).json() as { fields: { name: string }[] }).fields.map((f) => f.name)).not.toContain('gender');
  });

  it('serves no other snapshot than one of this dataset, and says when one is gone', async () => {
    expect((await pub(`/datasets/${dataset}/download.csv?snapshot=999999`)).statusCode).toBe(410);
  });

  it('closes the dataset at once when its provider closes its own catalog entry, whatever the review said', async () => {
    const res = await t.api(psb, 'PUT', `/catalog/${psb.name}.${dataset}`, { openType: 'not_open', reason: '暂停开放' });
    expect(res.statusCode).toBe(200);
    expect((await pub(`/datasets/${dataset}/download.csv`)).statusCode).toBe(404);
    expect((await pub(`/api/3/action/package_list`)).json()).toMatchObject({ success: true, result: [] });
    expect((await t.app.inject({ method: 'POST', url: `/open/datasets/${dataset}/feedback`, payload: { kind: 'problem', message: 'x' } })).statusCode).toBe(
      404,
    );
  });
});
