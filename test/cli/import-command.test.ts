import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestKafka, type TestKafka } from '../helpers/kafka.ts';
import { hubEnv, runHub } from '../helpers/spawn-hub.ts';
import type { CatalogEntry } from '../../services/catalog/entry.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import { samplesV1 } from '../schemas/samples.ts';

const header = 'taxpayer_id,taxpayer_name,rating_year,credit_level,score,downgrade_reason,evaluation_authority,authority_region_code,published_date,updated_at';
const csvRow = (year: number | string) =>
  `91340100MA2N1B7K5P,合肥市皖江数字科技有限公司,${year},A,95,,国家税务总局合肥市税务局,340100,2024-04-12,2024-04-12T09:00:00+08:00`;
const rating = samplesV1['theme.tax_credit_rating'] as Record<string, unknown>;

describe('hub import', () => {
  let t: TestApp;
  let kafka: TestKafka;
  let dir: string;
  let url: string;
  let dept: PrincipalCredentials;
  let entry: CatalogEntry;
  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    kafka = await createTestKafka();
    dir = await mkdtemp(join(tmpdir(), 'hub-import-'));
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    dept = await t.department('tax');
    entry = await t.declare(dept, { dataset: 'theme.tax_credit_rating', updateCycle: 'yearly' });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await kafka.cleanup();
    await t.cleanup();
  });

  const env = (overrides: Record<string, string | undefined> = {}) =>
    hubEnv({ DATABASE_SCHEMA: t.db.schema, HUB_URL: url, HUB_TOKEN: dept.token, ...overrides });
  async function countOn(topic: string): Promise<number> {
    const admin = kafka.clientFor(kafka.connection.username, kafka.connection.password).admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    } finally {
      await admin.disconnect();
    }
  }

  it("streams a CSV file, prints progress on stderr and the hub's JSON answer on stdout", async () => {
    const file = join(dir, 'ratings.csv');
    const rows = Array.from({ length: 3000 }, (_, i) => (i === 10 || i === 2500 ? csvRow('n/a') : csvRow(i)));
    await writeFile(file, `${[header, ...rows].join('\n')}\n`);
    const result = await runHub(['import', 'theme.tax_credit_rating', file, '--json'], env());
    expect(result.code, result.stderr).toBe(0);
    const answer = JSON.parse(result.stdout);
    expect(answer).toMatchObject({
      dataset: 'theme.tax_credit_rating',
      topic: entry.topic,
      format: 'csv',
      lines: 3001,
      accepted: 2998,
      rejectedCount: 2,
      rejectedTruncated: false,
    });
    expect(answer.rejected.map((r: { line: number }) => r.line)).toEqual([12, 2502]);
    // Not a terminal: one line per tenth of the file, ending at 100%.
    const progress = result.stderr.trim().split('\n');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.at(-1)).toMatch(/100%.*MiB.*rows\/s/);
    expect(await countOn(entry.topic)).toBe(2998);
  });

  it('takes NDJSON with --format, --url and --token, resumes with --from-line, and prints a summary without --json', async () => {
    const file = join(dir, 'ratings.txt');
    const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify(i === 7 ? { ...rating, rating_year: 'x' } : { ...rating, rating_year: 1900 + i }));
    await writeFile(file, `${lines.join('\n')}\n`);
    const before = await countOn(entry.topic);
    const result = await runHub(
      ['import', 'theme.tax_credit_rating', file, '--format', 'ndjson', '--url', url, '--token', dept.token, '--from-line', '6'],
      env({ HUB_URL: 'http://127.0.0.1:1', HUB_TOKEN: undefined }),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^theme.tax_credit_rating \\(ndjson, 10 lines\\) -> ${entry.topic.replace(/\./g, '\\.')}: 4 accepted, 1 rejected\\n  line 8: rating_year: expected a whole number`,
      ),
    );
    expect(await countOn(entry.topic)).toBe(before + 4);
  });

  it('fails in one line with exit 1 when the hub refuses the file, and prints the refusal with --json', async () => {
    const file = join(dir, 'wrong-header.csv');
    // Big enough that the hub answers while the upload is still going.
    await writeFile(file, `${header},colour\n${Array.from({ length: 60_000 }, (_, i) => `${csvRow(i)},red`).join('\n')}\n`);
    const before = await countOn(entry.topic);
    const result = await runHub(['import', 'theme.tax_credit_rating', file, '--json'], env());
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^hub: the hub answered 400: the CSV header \(line 1\) names a column "colour"/);
    expect(JSON.parse(result.stdout)).toMatchObject({ statusCode: 400, details: { unknownColumns: ['colour'] } });
    expect(await countOn(entry.topic)).toBe(before);
  });

  it('says what is missing: a token, the hub, the file, the format', async () => {
    const file = join(dir, 'one.csv');
    await writeFile(file, `${header}\n${csvRow(2020)}\n`);
    const noToken = await runHub(['import', 'theme.tax_credit_rating', file], env({ HUB_TOKEN: undefined }));
    expect(noToken.code).toBe(1);
    expect(noToken.stderr.trim()).toBe("hub: no token: pass --token or set HUB_TOKEN to the department's API token");
    const noHub = await runHub(['import', 'theme.tax_credit_rating', file], env({ HUB_URL: 'http://127.0.0.1:1' }));
    expect(noHub.code).toBe(1);
    expect(noHub.stderr.trim()).toMatch(/^hub: cannot reach the hub at http:\/\/127.0.0.1:1 \(.*ECONNREFUSED.*\): start it, or point --url or HUB_URL at it$/);
    const noFile = await runHub(['import', 'theme.tax_credit_rating', join(dir, 'nope.csv')], env());
    expect(noFile.code).toBe(1);
    expect(noFile.stderr.trim()).toMatch(/^hub: cannot read .*nope.csv: ENOENT/);
    const noFormat = await runHub(['import', 'theme.tax_credit_rating', join(dir, 'data.xlsx')], env());
    expect(noFormat.code).toBe(2);
    expect(noFormat.stderr.trim()).toMatch(/^hub: cannot tell the format of .*data.xlsx from its name: pass --format csv or --format ndjson$/);
  });
});
