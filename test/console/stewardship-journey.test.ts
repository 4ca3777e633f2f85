import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { openBrowser, type TestBrowser } from '../helpers/browser.ts';
import { person } from '../helpers/people.ts';
import { waitFor } from '../helpers/wait.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { startStewardshipWorkers } from '../../services/stewardship/workers.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import type { QualityAlert } from '../../services/cleansing/alerts.ts';
import type { CorrectionView } from '../../services/stewardship/corrections.ts';

const dataset = 'base.natural_person';

/**
 * The journey in Debian's Chromium against a running hub: a steward filters the queue,
 * accepts one conflict's other value, dismisses another, routes a third; the provider verifies and
 * sends a corrected record, which closes the request; the scorecard counts it; a consumer is refused.
 */
describe('the stewardship journey in a browser', () => {
  let t: TestApp;
  let browser: TestBrowser;
  let psb: PrincipalCredentials;
  let mca: PrincipalCredentials;
  let steward: PrincipalCredentials;
  let base: string;
  let table: string;
  let sweeper: { stop(): Promise<void> };
  const conflicts = new Map<number, QualityAlert>();

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    browser = await openBrowser();
    psb = await t.department('psb');
    mca = await t.department('mca');
    steward = await t.principal('steward');
    await t.declare(psb, { dataset, authoritativeFields: ['name', 'gender', 'birth_date', 'ethnicity_code', 'household_region_code'] });
    await t.enrol(await t.declare(mca, { dataset, authoritativeFields: ['marital_status'] }), { marital_status: mca.name });
    await t.startCleansing();
    // The correction sweep as `hub start` runs it, on a short tick.
    sweeper = startStewardshipWorkers(t.app, { log: createLogger({ level: 'silent' }), tickMs: 200 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/console/`;
    table = `"${t.db.schema}_base".natural_person`;
    // Three people on whose names civil affairs disagrees with public security.
    await t.send(
      psb,
      dataset,
      [501, 502, 503].map((n) => person(n)),
    );
    await t.cleansedFrom(psb.name, dataset, 3);
    await t.send(
      mca,
      dataset,
      [501, 502, 503].map((n) => person(n, { name: `民政${n}` })),
    );
    await t.cleansedFrom(mca.name, dataset, 3);
    const { items } = (await t.api(steward, 'GET', '/quality/queue?kind=conflict&limit=100')).json<{ items: QualityAlert[] }>();
    for (const n of [501, 502, 503]) conflicts.set(n, items.find((a) => a.key === String(person(n).id_number) && a.fields[0] === 'name')!);
    expect([...conflicts.values()].every(Boolean)).toBe(true);
  });
  afterAll(async () => {
    await sweeper?.stop();
    await browser?.close();
    await t?.cleanup();
  });

  async function signIn(who: PrincipalCredentials, home: string): Promise<Page> {
    const page = await browser.page();
    await page.goto(base);
    await page.fill('#token', who.token);
    await page.click('button:has-text("登录")');
    await page.waitForURL(new RegExp(`#/${home}$`));
    return page;
  }
  /** Another page of the console, as a click on its link would open it. */
  const go = (page: Page, hash: string) => page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
  const nameOf = async (n: number) =>
    (await t.db.pool.query<{ name: string }>(`SELECT name FROM ${table} WHERE _key = $1`, [String(person(n).id_number)])).rows[0]?.name;

  async function decide(page: Page, alert: QualityAlert, action: string, reason: string, provider?: string): Promise<string> {
    await go(page, `#/steward/alert/${alert.id}`);
    await page.locator('#reason').waitFor();
    await page.locator('section', { hasText: '各来源取值' }).waitFor();
    await page.fill('#reason', reason);
    if (provider) await page.selectOption('#route-provider', provider);
    await page.click(`button[data-action="${action}"]`);
    const ok = page.locator('.ok');
    await ok.waitFor();
    return (await ok.textContent()) ?? '';
  }

  it('a steward filters the queue, accepts one value, dismisses one conflict for good and routes another to its provider', async () => {
    const page = await signIn(steward, 'steward');
    await page.fill('#f-provider', mca.name);
    await page.selectOption('#f-kind', 'conflict');
    await page.click('button:has-text("筛选")');
    for (const a of conflicts.values()) await page.locator(`a[href="#/steward/alert/${a.id}"]`).waitFor();
    expect(await page.locator('input.pick').count()).toBe(3);
    await browser.screenshot(page, 'journey-1-steward-queue-filtered');

    // A new disagreement appears without a reload (server-sent events).
    await t.send(psb, dataset, [person(504)]);
    await t.send(mca, dataset, [person(504, { name: '民政504' })]);
    await page.locator('text=/有 [1-9]\\d* 条新告警/').waitFor();
    await page.click('button:has-text("刷新第一页")');
    await page.locator('tr', { hasText: String(person(504).id_number) }).waitFor();
    expect(await page.locator('input.pick').count()).toBe(4);

    // Accept civil affairs' name for 501: the base table shows it.
    expect(await nameOf(501)).toBe('居民501');
    await decide(page, conflicts.get(501)!, 'accept', '现场核验身份证，民政登记姓名正确');
    expect(await nameOf(501)).toBe('民政501');
    await page.locator('td', { hasText: '民政501' }).first().waitFor();
    await browser.screenshot(page, 'journey-2-accepted-other-value');

    // Dismiss 502; the same record again, and with another field changed, raises nothing new.
    await decide(page, conflicts.get(502)!, 'dismiss', '民政别名，非登记姓名，误报');
    const before = Number((await t.db.pool.query<{ n: string }>('SELECT records_in AS n FROM cleansing_counts WHERE provider = $1', [mca.name])).rows[0]!.n);
    await t.send(mca, dataset, [person(502, { name: '民政502' })]);
    await t.send(mca, dataset, [person(502, { name: '民政502', marital_status: 'MARRIED' })]);
    await t.cleansedFrom(mca.name, dataset, before + 2);
    const about502 = (await t.api(steward, 'GET', '/quality/queue?kind=conflict&limit=100'))
      .json<{ items: QualityAlert[] }>()
      .items.filter((a) => a.key === String(person(502).id_number) && a.fields[0] === 'name');
    expect(about502.map((a) => a.status)).toEqual(['dismissed']);

    // Route 503 to public security as a correction request.
    const routed = await decide(page, conflicts.get(503)!, 'route', '请公安核实该居民姓名', psb.name);
    expect(routed).toContain('更正请求');
    await browser.screenshot(page, 'journey-3-routed-to-provider');

    // Back on the queue, open conflicts of civil affairs: none of the three decided is still open.
    await go(page, '#/steward');
    await page.fill('#f-provider', mca.name);
    await page.selectOption('#f-kind', 'conflict');
    await page.click('button:has-text("筛选")');
    // Only 504, which nobody decided yet, is still open.
    await page.locator('tr', { hasText: String(person(504).id_number) }).waitFor();
    expect(await page.locator('input.pick').count()).toBe(1);
    await page.close();
  });

  it('the provider confirms the error and sends a corrected record, which closes the request; the scorecard counts it', async () => {
    const page = await signIn(psb, 'provider');
    const row = page.locator('tr', { hasText: String(person(503).id_number) });
    await row.locator('button:has-text("核实")').click();
    await page.fill('.decision textarea', '户籍登记有误，将于源头更正');
    await page.click('.decision button:has-text("确认有误")');
    await page.locator('tr', { hasText: '确认有误，待更正' }).waitFor();
    await browser.screenshot(page, 'journey-4-provider-confirmed');

    await t.send(psb, dataset, [person(503, { name: '民政503' })]);
    const [request] = (await t.api(psb, 'GET', '/corrections')).json<CorrectionView[]>();
    const closed = await waitFor(
      async () => (await t.api(psb, 'GET', `/corrections/${request!.id}`)).json<CorrectionView>(),
      (c) => c.status === 'corrected',
    );
    expect(closed.correctedSource).toMatchObject({ topic: expect.stringContaining(psb.name) });
    await page.reload();
    await page.locator('tr', { hasText: '已更正' }).waitFor();
    await browser.screenshot(page, 'journey-5-provider-corrected');
    await page.close();

    const authority = await signIn(await t.authority(), 'authority');
    await go(authority, '#/scorecards');
    const psbRow = authority.locator('tr', { hasText: psb.name });
    await psbRow.waitFor();
    const cells = await psbRow.locator('td').allTextContents();
    // 更正：收到 1, 按时核实 1 / 1, 按时更正 1 / 1.
    expect(cells.slice(5, 8)).toEqual(['1', '1 / 1', '1 / 1']);
    await authority.locator('#chart canvas').first().waitFor();
    await browser.screenshot(authority, 'journey-6-scorecard');
    await authority.close();
  });

  it("a consumer opening a steward's page is refused, and so is its API", async () => {
    const consumer = await t.principal('consumer');
    const page = await signIn(consumer, 'consumer');
    await go(page, '#/steward');
    await page.locator('.refused').waitFor();
    await browser.screenshot(page, 'journey-7-consumer-refused');
    const status = await page.evaluate(
      async ([token, id]) => (await fetch(`/api/v1/quality/alerts/${id}`, { headers: { authorization: `Bearer ${token}` } })).status,
      [consumer.token, conflicts.get(501)!.id] as const,
    );
    expect(status).toBe(403);
    await page.close();
  });
});
