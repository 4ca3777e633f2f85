import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestKafka, testConnection, uniqueName, type TestKafka } from '../helpers/kafka.ts';
import { consume } from '../helpers/consume.ts';
import { testLogger } from '../helpers/logger.ts';
import { buildApp } from '../../services/hub/build-app.ts';
import { createKafkaClient, toHubKafkaError } from '../../services/platform/kafka/client.ts';
import { createProducer, type HubProducer } from '../../services/platform/kafka/producer.ts';
import type { CatalogEntry } from '../../services/catalog/entry.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import { day, samplesV1, ts } from '../schemas/samples.ts';

const header = 'taxpayer_id,taxpayer_name,rating_year,credit_level,score,downgrade_reason,evaluation_authority,authority_region_code,published_date,updated_at';
const rating = samplesV1['theme.tax_credit_rating'] as Record<string, unknown>;
const csvRow = (year: number | string, overrides: { id?: string; name?: string; updated?: string } = {}) =>
  `${overrides.id ?? String(rating.taxpayer_id)},${overrides.name ?? '合肥市皖江数字科技有限公司'},${year},A,95,,国家税务总局合肥市税务局,340100,2024-04-12,${overrides.updated ?? '2024-04-12T09:00:00+08:00'}`;
const person = samplesV1['base.natural_person'] as Record<string, unknown>;

describe('file ingest', () => {
  let t: TestApp;
  let kafka: TestKafka;
  let url: string;
  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    kafka = await createTestKafka();
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await kafka.cleanup();
    await t.cleanup();
  });

  const client = () => kafka.clientFor(kafka.connection.username, kafka.connection.password);
  const upload = async (who: { token: string }, dataset: string, body: string | Buffer, contentType = 'text/csv', query = '') => {
    const res = await fetch(`${url}/api/v1/datasets/${dataset}/files${query}`, {
      method: 'POST',
      headers: { ...t.auth(who), 'content-type': contentType },
      body,
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  async function countOn(topic: string): Promise<number> {
    const admin = client().admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    } finally {
      await admin.disconnect();
    }
  }
  async function decoded<T>(topic: string, count: number): Promise<{ value: T; path: string | undefined }[]> {
    const messages = await consume(client(), { topic, groupId: uniqueName('file'), count });
    return Promise.all(messages.map(async (m) => ({ value: await t.app.registry.decode<T>(m.value!), path: m.headers?.['hub-ingest-path']?.toString() })));
  }
  async function taxDepartment(): Promise<{ dept: PrincipalCredentials; entry: CatalogEntry }> {
    const dept = await t.department('tax');
    // Every test has its own tax department: the first declares the contract, the others are enrolled.
    return { dept, entry: await t.provide(dept, { dataset: 'theme.tax_credit_rating', updateCycle: 'yearly' }) };
  }

  it('lands exactly the good rows of a CSV file and reports the bad ones by line', async () => {
    const { dept, entry } = await taxDepartment();
    const file = [
      `\ufeff${header}`,
      csvRow(2001),
      csvRow('twenty'),
      csvRow(2003, { id: '' }),
      '',
      csvRow(2005, { name: '"合肥市皖江\n数字科技有限公司"' }),
      csvRow(2007).split(',').slice(1).join(','),
      csvRow(2008, { name: '"皖江 ""数字"", 科技"', updated: String(ts('2024-04-13T10:00:00+08:00')) }),
    ].join('\r\n');
    const res = await upload(dept, 'theme.tax_credit_rating', `${file}\r\n`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      dataset: 'theme.tax_credit_rating',
      topic: entry.topic,
      format: 'csv',
      lines: 9,
      accepted: 3,
      rejectedCount: 3,
      rejected: [
        { line: 3, errors: [{ field: 'rating_year', reason: expect.stringMatching(/whole number/) }] },
        { line: 4, errors: [{ field: 'taxpayer_id', reason: 'required field is missing' }] },
        { line: 8, errors: [{ field: '', reason: 'expected 10 columns as in the header, got 9' }] },
      ],
      rejectedTruncated: false,
    });
    expect(await countOn(entry.topic)).toBe(3);
    const rows = await decoded<{
      rating_year: number;
      taxpayer_name: string;
      published_date: number;
      updated_at: number;
      score: number | null;
      downgrade_reason: string | null;
    }>(entry.topic, 3);
    const byYear = new Map(rows.map((r) => [r.value.rating_year, r.value]));
    expect([...byYear.keys()].sort()).toEqual([2001, 2005, 2008]);
    expect(byYear.get(2001)).toMatchObject({
      published_date: day('2024-04-12'),
      updated_at: ts('2024-04-12T09:00:00+08:00'),
      score: 95,
      downgrade_reason: null,
    });
    expect(byYear.get(2005)?.taxpayer_name).toBe('合肥市皖江\n数字科技有限公司');
    expect(byYear.get(2008)).toMatchObject({ taxpayer_name: '皖江 "数字", 科技', updated_at: ts('2024-04-13T10:00:00+08:00') });
    expect(rows.every((r) => r.path === 'file')).toBe(true);
  });

  it('lands exactly the good lines of an NDJSON file and reports the bad ones by line', async () => {
    const dept = await t.department('psb');
    const entry = await t.declare(dept, { dataset: 'base.natural_person', updateCycle: 'daily' });
    const good = (id: string) => JSON.stringify({ ...person, id_number: id });
    const file = [
      good('340104199003157733'),
      JSON.stringify({ ...person, nickname: '伟哥' }),
      '{"id_number": "340111198511024223", ',
      '',
      '   ',
      '[1, 2]',
      good('340111198511024223'),
      JSON.stringify({ ...person, birth_date: 'yesterday' }),
      JSON.stringify({ ...person, name: undefined }),
    ].join('\n');
    const res = await upload(dept, 'base.natural_person', file, 'application/x-ndjson');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ format: 'ndjson', lines: 9, accepted: 2, rejectedCount: 5, rejectedTruncated: false });
    expect(res.body.rejected).toEqual([
      { line: 2, errors: [{ field: 'nickname', reason: 'not a field of this dataset' }] },
      { line: 3, errors: [{ field: '', reason: expect.stringMatching(/^not valid JSON: /) }] },
      { line: 6, errors: [{ field: '', reason: 'a line must hold one JSON object, got an array' }] },
      { line: 8, errors: [{ field: 'birth_date', reason: expect.stringMatching(/YYYY-MM-DD/) }] },
      { line: 9, errors: [{ field: 'name', reason: 'required field is missing' }] },
    ]);
    expect(await countOn(entry.topic)).toBe(2);
    const rows = await decoded<{ id_number: string; birth_date: number }>(entry.topic, 2);
    expect(rows.map((r) => r.value.id_number).sort()).toEqual(['340104199003157733', '340111198511024223']);
    expect(rows[0]!.value.birth_date).toBe(day('1990-03-15'));
  });

  it('refuses a CSV header naming an unknown or lacking a required column with 400, publishing nothing', async () => {
    const { dept, entry } = await taxDepartment();
    const unknown = await upload(dept, 'theme.tax_credit_rating', [`${header},colour`, `${csvRow(2001)},red`].join('\n'));
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/names a column "colour" that theme.tax_credit_rating does not have/);
    expect(unknown.body.details).toMatchObject({ unknownColumns: ['colour'] });
    const lacking = await upload(dept, 'theme.tax_credit_rating', [header.replace('taxpayer_id,', ''), csvRow(2001).split(',').slice(1).join(',')].join('\n'));
    expect(lacking.status).toBe(400);
    expect(lacking.body.message).toMatch(/lacks the required field "taxpayer_id"/);
    const empty = await upload(dept, 'theme.tax_credit_rating', '');
    expect(empty.status).toBe(400);
    expect(await countOn(entry.topic)).toBe(0);
  });

  it('checks the caller, the dataset and the media type', async () => {
    const { dept } = await taxDepartment();
    const body = [header, csvRow(2001)].join('\n');
    const consumer = await t.principal('consumer');
    const refused = await upload(consumer, 'theme.tax_credit_rating', body);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('HUB_ERR_FORBIDDEN');
    const undeclared = await upload(dept, 'base.land_parcel', body);
    expect(undeclared.status).toBe(404);
    expect(undeclared.body.message).toMatch(/has not declared base.land_parcel/);
    expect((await upload(dept, 'theme.tax_credit_rating', body, 'application/json')).status).toBe(415);
    expect((await upload(dept, 'theme.tax_credit_rating', body, 'text/plain')).status).toBe(415);
    const latin = await upload(dept, 'theme.tax_credit_rating', body, 'text/csv; charset=ISO-8859-1');
    expect(latin.status).toBe(415);
    expect(latin.body.message).toMatch(/UTF-8 or GB18030/);
    expect((await upload(dept, 'theme.tax_credit_rating', body, 'text/csv; charset=utf-8')).status).toBe(200);
  });

  it('takes a GB18030 export when declared, refuses its bytes sent as UTF-8 with the line, and reports blank rows', async () => {
    const { dept, entry } = await taxDepartment();
    // 合肥 in GB18030 (and GBK): the export of a department's Windows system.
    const hefei = Buffer.from([0xba, 0xcf, 0xb7, 0xca]);
    const row = Buffer.concat([
      Buffer.from(`${String(rating.taxpayer_id)},`),
      hefei,
      Buffer.from(',2061,A,95,,'),
      hefei,
      Buffer.from(',340100,2024-04-12,2024-04-12T09:00:00+08:00'),
    ]);
    const file = Buffer.concat([Buffer.from(`${header}\n`), row, Buffer.from('\n')]);
    const asUtf8 = await upload(dept, 'theme.tax_credit_rating', file, 'text/csv; charset=utf-8');
    expect(asUtf8.status).toBe(422);
    expect(asUtf8.body.message).toMatch(/^line 2: bytes that are not valid UTF-8 .*charset=gb18030/);
    const declared = await upload(dept, 'theme.tax_credit_rating', file, 'text/csv; charset=gb18030');
    expect(declared.status, JSON.stringify(declared.body)).toBe(200);
    expect(declared.body).toMatchObject({ accepted: 1, rejectedCount: 0 });
    const [published] = (await decoded<{ rating_year: number; taxpayer_name: string }>(entry.topic, 1)).filter((r) => r.value.rating_year === 2061);
    expect(published?.value.taxpayer_name).toBe('合肥');

    const blanks = await upload(dept, 'theme.tax_credit_rating', [header, csvRow(2062), ',,,,,,,,,', csvRow(2063), ',,,'].join('\n'));
    expect(blanks.status).toBe(200);
    expect(blanks.body).toMatchObject({ accepted: 2, rejectedCount: 2 });
    expect((blanks.body.rejected as { line: number; errors: { reason: string }[] }[]).map((r) => `${r.line}: ${r.errors[0]!.reason}`)).toEqual([
      '3: the row is blank: every column is empty',
      '5: the row is blank: every column is empty',
    ]);
  });

  it('answers 422 when no row is good, lists at most 1000 rejected rows, and stops at a quote never closed', async () => {
    const { dept, entry } = await taxDepartment();
    const allBad = await upload(dept, 'theme.tax_credit_rating', [header, csvRow('x'), csvRow('y')].join('\n'));
    expect(allBad.status).toBe(422);
    expect(allBad.body.details).toMatchObject({ accepted: 0, rejectedCount: 2 });

    const many = [header, ...Array.from({ length: 1005 }, () => csvRow('bad')), csvRow(2001)].join('\n');
    const truncated = await upload(dept, 'theme.tax_credit_rating', many);
    expect(truncated.status).toBe(200);
    expect(truncated.body).toMatchObject({ accepted: 1, rejectedCount: 1005, rejectedTruncated: true, lines: 1007 });
    const listed = truncated.body.rejected as { line: number }[];
    expect(listed).toHaveLength(1000);
    expect(listed[0]!.line).toBe(2);
    expect(listed[999]!.line).toBe(1001);

    const broken = await upload(
      dept,
      'theme.tax_credit_rating',
      [header, csvRow(2002), csvRow(2003), csvRow(2004, { name: '"皖江' }), csvRow(2005)].join('\n'),
    );
    expect(broken.status).toBe(422);
    expect(broken.body.message).toMatch(/^line 4: a quoted field that starts here is never closed; 2 rows before line 4 were accepted/);
    expect(broken.body.details).toMatchObject({ accepted: 2, resumeFromLine: 4, lines: 3 });
    expect(await countOn(entry.topic)).toBe(1 + 2);
  });

  it('refuses a file over HUB_FILE_MAX_BYTES: at once when announced, where it passes the limit when not', async () => {
    const { dept, entry } = await taxDepartment();
    const config = { ...t.config, ingest: { ...t.config.ingest, fileMaxBytes: 4096 } };
    const other = await buildApp(config, {
      log: testLogger(),
      kafka: testConnection(),
      service: { name: 'hub-system', token: 'x' },
      pool: t.db.pool,
      registry: t.app.registry,
    });
    const lines = [header, ...Array.from({ length: 100 }, (_, i) => csvRow(4000 + i))].map((l) => `${l}\n`);
    const send = (payload: string | Readable) =>
      other.inject({
        method: 'POST',
        url: '/api/v1/datasets/theme.tax_credit_rating/files',
        headers: { ...t.auth(dept), 'content-type': 'text/csv' },
        payload,
      });
    try {
      const announced = await send(lines.join(''));
      expect(announced.statusCode).toBe(413);
      expect(announced.json().details).toBeUndefined();
      expect(await countOn(entry.topic)).toBe(0);

      const chunked = await send(Readable.from(lines));
      expect(chunked.statusCode).toBe(413);
      const { details, message } = chunked.json();
      expect(message).toMatch(/larger than 4096 bytes/);
      // The whole rows before the limit went through; the error says where the rest starts.
      expect(details.accepted).toBeGreaterThan(10);
      expect(details.resumeFromLine).toBe(details.accepted + 2);
      expect(await countOn(entry.topic)).toBe(details.accepted);
    } finally {
      await other.close();
    }
  });

  it('answers 503 when Kafka fails part way, saying what landed and where to resume; the resumed rest keeps its line numbers', async () => {
    const { dept, entry } = await taxDepartment();
    const producer = await createProducer({ kafka: createKafkaClient(testConnection(), testLogger()) });
    let sends = 0;
    const flaky: HubProducer = {
      async send(topic, records) {
        if (++sends === 2) throw toHubKafkaError(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), `to write to ${topic}`);
        return producer.send(topic, records);
      },
      forget: (topics) => producer.forget(topics),
      close: async () => undefined,
    };
    const other = await buildApp(t.config, {
      log: testLogger(),
      kafka: testConnection(),
      service: { name: 'hub-system', token: 'x' },
      pool: t.db.pool,
      producer: flaky,
      registry: t.app.registry,
    });
    const rows = Array.from({ length: 1200 }, (_, i) => (i === 900 ? csvRow('bad') : csvRow(3000 + i)));
    try {
      const res = await other.inject({
        method: 'POST',
        url: '/api/v1/datasets/theme.tax_credit_rating/files',
        headers: { ...t.auth(dept), 'content-type': 'text/csv' },
        payload: [header, ...rows].join('\n'),
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      const body = res.json();
      expect(body.code).toBe('HUB_ERR_KAFKA_UNAVAILABLE');
      expect(body.message).toMatch(/500 rows before line 502 were accepted.*resend from line 502/);
      expect(body.details).toMatchObject({ accepted: 500, rejectedCount: 0, resumeFromLine: 502, lines: 501 });
    } finally {
      await other.close();
      await producer.close();
    }
    expect(await countOn(entry.topic)).toBe(500);

    const rest = await upload(dept, 'theme.tax_credit_rating', [header, ...rows.slice(500)].join('\n'), 'text/csv', '?fromLine=502');
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ lines: 1201, accepted: 699, rejectedCount: 1, rejected: [{ line: 902, errors: [{ field: 'rating_year' }] }] });
    expect(await countOn(entry.topic)).toBe(1199);
  });
});
