import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestKafka, type TestKafka } from '../helpers/kafka.ts';
import { kafkaErrorType } from '../../services/platform/kafka/client.ts';
import { loadSchemaFiles } from '../../services/contract/dataset-schema.ts';
import { samplesV1 } from '../schemas/samples.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';

describe('catalog and departments', () => {
  let t: TestApp;
  let kafka: TestKafka;
  let psb: PrincipalCredentials;
  let tax: PrincipalCredentials;
  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    kafka = await createTestKafka();
    psb = await t.department('psb');
    tax = await t.department('tax');
  });
  afterAll(async () => {
    await kafka.cleanup();
    await t.cleanup();
  });

  const post = (who: { token: string }, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/v1/catalog', headers: t.auth(who), payload });
  const put = (who: { token: string }, id: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'PUT', url: `/api/v1/catalog/${id}`, headers: t.auth(who), payload });

  it('declares a dataset: entry with derived fields, registered schema, raw topic and a versioned deadline', async () => {
    const entry = await t.declare(psb, {
      dataset: 'base.natural_person',
      name: '人口基础信息',
      updateCycle: 'daily',
      sample: samplesV1['base.natural_person'],
      reason: '首次编目',
    });
    expect(entry).toMatchObject({
      dataset: 'base.natural_person',
      provider: psb.name,
      topic: `raw.${psb.name}.base.natural_person`,
      subject: `raw.${psb.name}.base.natural_person-value`,
      shareType: 'unconditional',
      version: 1,
      grade: 4,
    });
    expect(entry.fields.find((f) => f.name === 'id_number')).toMatchObject({ type: 'string', grade: 4 });
    expect(await t.app.kafka.admin.listTopics()).toContain(entry.topic);
    expect((await t.app.registry.latest(entry.subject)).id).toBe(entry.schemaId);

    const versions = (await t.app.inject({ url: `/api/v1/catalog/${entry.id}/versions`, headers: t.auth(psb) })).json();
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ version: 1, changeKind: 'created', changedBy: psb.name, reason: '首次编目', jurisdiction: 'hefei' });
    expect(versions[0].deadline).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Date.parse(versions[0].deadline)).toBeGreaterThan(Date.now() + 12 * 86_400_000);
  });

  it("lets a department write its own raw topic and refuses it another department's", async () => {
    const own = await t.declare(tax, { dataset: 'theme.tax_credit_rating', updateCycle: 'yearly' });
    const other = await t.app.catalog.targetOf(psb.name, 'base.natural_person');
    const producer = kafka.clientFor(tax.kafka.username, tax.kafka.password).producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: own.topic, acks: -1, messages: [{ key: 'k', value: 'v' }] });
    const refused = await producer.send({ topic: other.topic, acks: -1, messages: [{ key: 'k', value: 'v' }] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(kafkaErrorType(refused)).toBe('TOPIC_AUTHORIZATION_FAILED');
    await producer.disconnect();
    const acls = await t.app.kafka.admin.aclsOf(tax.name);
    expect(
      acls
        .filter((a) => a.resource === 'topic' && a.name.startsWith('raw.'))
        .map((a) => `${a.name}:${a.operation}`)
        .sort(),
    ).toEqual([`${own.topic}:describe`, `${own.topic}:write`]);
  });

  it('enforces the catalog rules with readable 4xx reasons', async () => {
    const cases: { body: Record<string, unknown>; status: number; reason: RegExp }[] = [
      { body: { dataset: 'theme.market_inspection', shareType: 'not_shared' }, status: 422, reason: /legal basis/ },
      { body: { dataset: 'base.legal_entity', shareType: 'conditional', shareConditions: 'x' }, status: 422, reason: /base database.*unconditionally/ },
      { body: { dataset: 'theme.market_inspection', grade: 5 }, status: 422, reason: /state secret/ },
      { body: { dataset: 'theme.market_inspection', shareType: 'conditional' }, status: 422, reason: /share conditions/ },
      { body: { dataset: 'theme.market_inspection', grade: 1 }, status: 422, reason: /most sensitive field/ },
      { body: { dataset: 'theme.market_inspection', sample: { nope: 1 } }, status: 422, reason: /sample does not match/ },
      { body: { dataset: 'theme.nothing_here' }, status: 422, reason: /no schema for theme.nothing_here/ },
      { body: { dataset: 'not a dataset' }, status: 400, reason: /dataset must look like/ },
      { body: { dataset: 'theme.market_inspection', provider: psb.name }, status: 403, reason: /only declare its own/ },
      { body: { dataset: 'theme.market_inspection', colour: 'red' }, status: 400, reason: /additional properties/ },
    ];
    for (const c of cases) {
      const res = await post(tax, c.body);
      expect(res.statusCode, JSON.stringify(c.body)).toBe(c.status);
      expect(res.json().message, JSON.stringify(c.body)).toMatch(c.reason);
    }
    const [inspection] = (await loadSchemaFiles()).filter((s) => s.dataset === 'theme.market_inspection');
    const secret = JSON.parse(inspection!.text) as { fields: { grade: number }[] };
    secret.fields[0]!.grade = 5;
    const res = await post(tax, { dataset: 'theme.market_inspection', schema: secret });
    expect(res.statusCode).toBe(422);
    expect(res.json().message).toMatch(/state secret/);
    const consumer = await t.principal('consumer');
    expect((await post(consumer, { dataset: 'theme.market_inspection' })).statusCode).toBe(403);
  });

  it('versions a change, accepts a compatible schema and refuses an incompatible one with 409', async () => {
    const [inspection] = (await loadSchemaFiles()).filter((s) => s.dataset === 'theme.market_inspection');
    const entry = await t.declare(tax, { dataset: 'theme.market_inspection', updateCycle: 'weekly' });
    expect((await put(tax, entry.id, { summary: 'x' })).statusCode).toBe(400);

    const v1 = JSON.parse(inspection!.text) as { fields: Record<string, unknown>[] };
    const compatible = { ...v1, fields: [...v1.fields, { name: 'remark', type: ['null', 'string'], default: null, doc: '备注', grade: 2 }] };
    const changed = await put(tax, entry.id, { schema: compatible, reason: '增加备注信息项', version: 1 });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ version: 2 });
    expect(changed.json().schemaId).not.toBe(entry.schemaId);
    expect(changed.json().fields.map((f: { name: string }) => f.name)).toContain('remark');

    const dropped = await put(tax, entry.id, { schema: v1, reason: '去掉备注' });
    expect(dropped.statusCode).toBe(422);
    expect(dropped.json().message).toMatch(/drops field remark/);
    const incompatible = { ...compatible, fields: [...compatible.fields, { name: 'inspector_badge', type: 'string', doc: '检查员证号', grade: 2 }] };
    const refused = await put(tax, entry.id, { schema: incompatible, reason: '增加必填项' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toMatch(/incompatible/);

    const stale = await put(tax, entry.id, { summary: '新摘要', reason: '更新摘要', version: 1 });
    expect(stale.statusCode).toBe(409);
    const versions = (await t.app.inject({ url: `/api/v1/catalog/${entry.id}/versions`, headers: t.auth(tax) })).json();
    expect(versions.map((v: { version: number; reason: string }) => `${v.version}:${v.reason}`)).toEqual(['1:declared', '2:增加备注信息项']);
    expect((await put(psb, entry.id, { summary: 'hijack', reason: 'x' })).statusCode).toBe(403);
  });

  it('searches by text, provider, share type and classification', async () => {
    const search = async (query: string) =>
      (await t.app.inject({ url: `/api/v1/catalog?${query}`, headers: t.auth(psb) })).json() as { total: number; entries: { id: string; provider: string }[] };
    const byProvider = await search(`provider=${tax.name}`);
    expect(byProvider.entries.map((e) => e.provider)).toEqual(byProvider.entries.map(() => tax.name));
    expect(byProvider.total).toBe(2);
    expect((await search(`q=${encodeURIComponent('人口')}&provider=${psb.name}`)).total).toBe(1);
    expect((await search(`shareType=not_shared&provider=${tax.name}`)).total).toBe(0);
    expect((await search(`classification=1&provider=${psb.name}`)).total).toBe(1);
    expect((await t.app.inject({ url: '/api/v1/catalog?shareType=maybe', headers: t.auth(psb) })).statusCode).toBe(400);
  });

  it('only the authority onboards departments, with a clear error on a bad name', async () => {
    const steward = await t.principal('steward');
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/v1/departments', headers: t.auth(steward), payload: { name: 'x-dept', displayName: 'X' } })).statusCode,
    ).toBe(403);
    const authority = await t.principal('authority');
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/departments', headers: t.auth(authority), payload: { name: 'has.dot', displayName: '点' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/lower-case letters, digits or "-"/);
  });
});
