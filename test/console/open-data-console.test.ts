import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { openBrowser, type TestBrowser } from '../helpers/browser.ts';
import { person } from '../helpers/people.ts';
import { samplesV1 } from '../schemas/samples.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import type { OpenApplication } from '../../services/opendata/application-store.ts';
import type { ProviderView } from '../../services/opendata/service.ts';
import { orgCodeCheckChar, usccCheckChar } from '../../services/cleansing/rules/uscc.ts';

/** Opens without conditions: downloads and feedback. */
const people = 'base.natural_person';
/** Opens on application: organisations apply, the owner answers. */
const entities = 'base.legal_entity';
const uscc = (n: number) => {
  const organisation = `M${String(n).padStart(7, '0')}`;
  const first17 = `91350100${organisation}${orgCodeCheckChar(organisation)}`;
  return first17 + usccCheckChar(first17);
};
const agreement = '仅用于人口与产业结构学术研究，不得再次分发，不得用于商业目的，研究结束后删除。';

/**
 * Open data in the console, in Debian's Chromium against a running hub: the authority approves a
 * request to open; public security sees its open dataset's review, publication and downloads and
 * answers the public's feedback; market regulation sees the applications for its dataset open on
 * application, with their deadlines, and approves one with a use agreement.
 */
describe('open data in the stewardship console', () => {
  let t: TestApp;
  let browser: TestBrowser;
  let psb: PrincipalCredentials;
  let samr: PrincipalCredentials;
  let authority: PrincipalCredentials;
  let base: string;
  const problems: string[] = [];
  const pub = (method: 'GET' | 'POST', url: string, payload?: unknown, ip = '203.0.113.20', headers: Record<string, string> = {}) =>
    t.app.inject({ method, url: `/open${url}`, remoteAddress: ip, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    browser = await openBrowser();
    psb = await t.department('psb');
    samr = await t.department('samr');
    authority = await t.authority();
    await t.declare(psb, { dataset: people, openType: 'open' });
    await t.declare(samr, { dataset: entities, openType: 'on_application' });
    await t.startCleansing();
    await t.send(psb, people, [person(11), person(12), person(13)]);
    await t.send(samr, entities, [samplesV1[entities]]);
    await t.cleansedFrom(psb.name, people, 3);
    await t.cleansedFrom(samr.name, entities, 1);
    // Public security's dataset: asked for and approved over the API, published, downloaded by the public.
    expect((await t.api(psb, 'PUT', `/open/datasets/${people}`, { openType: 'open', licence: 'CC-BY-4.0' })).statusCode).toBe(200);
    expect((await t.api(authority, 'POST', `/open/datasets/${people}/review`, { approve: true, reason: '已脱敏，同意开放' })).statusCode).toBe(200);
    // Market regulation's: asked for, left for the authority to review in the console.
    expect(
      (await t.api(samr, 'PUT', `/open/datasets/${entities}`, { openType: 'on_application', licence: '数据利用协议', description: '法人登记信息' })).statusCode,
    ).toBe(200);
    expect(await t.app.openData.publishDue()).toBe(1);
    for (const format of ['csv', 'csv', 'ndjson']) expect((await pub('GET', `/datasets/${people}/download.${format}`)).statusCode).toBe(200);
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/console/`;
  });
  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  async function signIn(who: PrincipalCredentials, home: string): Promise<Page> {
    const page = await browser.page();
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    await page.goto(base);
    await page.fill('#token', who.token);
    await page.click('button:has-text("登录")');
    await page.waitForURL(new RegExp(`#/${home}$`));
    return page;
  }
  const cells = (page: Page, selector: string) => page.locator(selector).locator('td').allTextContents();
  /** The message of the open decision form in `part`, once it shows an error. */
  const errorOf = (page: Page, part: string) => page.locator(`${part} .decision .msg.error`).textContent({ timeout: 1000 });
  const okOf = async (page: Page, part: string) => {
    const ok = page.locator(`#${part} .msg.ok`);
    await ok.waitFor();
    return (await ok.textContent()) ?? '';
  };

  it('the authority sees the pending request to open market regulation’s dataset and approves it, with a reason', async () => {
    const page = await signIn(authority, 'authority');
    const row = page.locator(`#open-reviews tr[data-key="${entities}"]`);
    await row.waitFor();
    // The approved request of public security is not pending any more.
    expect(await page.locator(`#open-reviews tr[data-key="${people}"]`).count()).toBe(0);
    expect(await row.locator('td').allTextContents()).toEqual(expect.arrayContaining([entities, samr.name, '依申请开放', '数据利用协议', '法人登记信息']));
    await row.locator('[data-testid="review-open"]').click();
    await page.click('#open-review-approve');
    await expect.poll(() => errorOf(page, '#open-reviews')).toBe('请填写理由（必填）');
    await page.fill('#open-review-reason', '法人登记信息，依申请开放');
    await browser.screenshot(page, 'console-open-1-authority-review');
    await page.click('#open-review-approve');
    expect(await okOf(page, 'open-reviews')).toContain('同意开放');
    expect(await page.locator(`#open-reviews tr[data-key="${entities}"]`).count()).toBe(0);
    await page.locator('#open-reviews p.empty').waitFor();
    const rows = (await t.api(authority, 'GET', '/open/datasets')).json<ProviderView[]>();
    expect(rows.find((r) => r.dataset === entities)).toMatchObject({
      status: 'approved',
      reviewedBy: authority.name,
      reviewReason: '法人登记信息，依申请开放',
      effectiveOpenType: 'on_application',
    });
    await page.close();
    expect(problems).toEqual([]);
  });

  it("public security sees its open dataset's review, publication and downloads, and answers the public's feedback", async () => {
    const sent = await pub(
      'POST',
      `/datasets/${people}/feedback`,
      { kind: 'problem', message: '出生年份似乎有误', contact: 'reader@example.org' },
      '198.51.100.31',
    );
    expect(sent.statusCode).toBe(201);
    const { id } = sent.json<{ id: string }>();
    expect((await pub('GET', `/datasets/${people}/feedback`)).json()).toEqual([]);

    const page = await signIn(psb, 'provider');
    const dataset = page.locator(`#open-datasets tr[data-key="${people}"]`);
    await dataset.waitFor();
    const shown = await dataset.locator('td').allTextContents();
    expect(shown.slice(0, 6)).toEqual([people, '无条件开放', 'CC-BY-4.0', '已同意', '已脱敏，同意开放', '无条件开放']);
    expect(shown[6]).toMatch(/^\d{4}\/\d{1,2}\/\d{1,2} \d{2}:\d{2}:\d{2}$/);
    expect(await dataset.locator('[data-testid="downloads"]').textContent()).toBe('3（CSV 2，NDJSON 1）');
    // Only its own: market regulation's dataset and applications are not on this page.
    expect(await page.locator(`#open-datasets tr[data-key="${entities}"]`).count()).toBe(0);
    await page.locator('#open-applications p.empty').waitFor();

    const item = page.locator(`#open-feedback tr[data-key="${id}"]`);
    await item.waitFor();
    expect(await cells(page, `#open-feedback tr[data-key="${id}"]`)).toEqual(
      expect.arrayContaining([people, '问题反馈', '出生年份似乎有误', 'reader@example.org']),
    );
    await page.locator('#open-data').scrollIntoViewIfNeeded();
    await browser.screenshot(page, 'console-open-2-provider-datasets-feedback');
    await item.locator('[data-testid="answer-feedback"]').click();
    await page.click('#open-feedback-submit');
    await expect.poll(() => errorOf(page, '#open-feedback')).toBe('请填写答复内容（将在开放平台公开）');
    await page.fill('#open-feedback-answer', '已核实，出生年份按脱敏规则仅保留年份，数据无误。');
    await page.click('#open-feedback-submit');
    expect(await okOf(page, 'open-feedback')).toContain('提交答复');
    expect(await page.locator(`#open-feedback tr[data-key="${id}"]`).count()).toBe(0);
    await page.locator('#open-feedback p.empty').waitFor();
    await browser.screenshot(page, 'console-open-3-provider-feedback-answered');

    const answered = (await pub('GET', `/datasets/${people}/feedback`)).json<Record<string, unknown>[]>();
    expect(answered).toEqual([expect.objectContaining({ id, message: '出生年份似乎有误', answer: '已核实，出生年份按脱敏规则仅保留年份，数据无误。' })]);
    expect(JSON.stringify(answered)).not.toContain('reader@example.org');
    expect((await t.api(psb, 'GET', '/open/feedback?answered=false')).json()).toEqual([]);
    await page.close();
    expect(problems).toEqual([]);
  });

  it('market regulation sees applications with their deadlines, approves one with a use agreement, and sees the refusal of a decided one', async () => {
    expect(await t.app.openData.publishDue()).toBe(1);
    const register = async (n: number) => {
      const res = await pub(
        'POST',
        '/organisations',
        { name: `测试研究院${n}`, uscc: uscc(n), kind: 'research_institute', contact: `lab${n}@example.edu.cn` },
        `192.0.2.${n}`,
      );
      expect(res.statusCode).toBe(201);
      return res.json<{ credentials: PrincipalCredentials }>().credentials;
    };
    const institute = await register(41);
    const late = await register(42);
    const apply = async (who: PrincipalCredentials, purpose: string) => {
      const res = await t.api(who, 'POST', '/open/applications', { dataset: entities, purpose });
      expect(res.statusCode).toBe(201);
      return res.json<OpenApplication>();
    };
    const application = await apply(institute, '区域产业结构学术研究');
    const overdue = await apply(late, '市场主体活跃度研究');
    // The second one was left unanswered past its deadline: the sweep escalates it.
    await t.db.pool.query("UPDATE open_applications SET due_at = now() - interval '2 days' WHERE id = $1", [overdue.id]);
    expect(await t.app.openApplications.escalateDue()).toBe(1);

    const page = await signIn(samr, 'provider');
    const row = page.locator(`#open-applications tr[data-key="${application.id}"]`);
    const lateRow = page.locator(`#open-applications tr[data-key="${overdue.id}"]`);
    await row.waitFor();
    await lateRow.waitFor();
    expect(await row.locator('td').allTextContents()).toEqual(expect.arrayContaining([institute.name, entities, '区域产业结构学术研究', '待答复']));
    expect(await row.getAttribute('class')).not.toContain('overdue');
    expect(await row.locator('[data-testid="overdue"]').count()).toBe(0);
    expect(await row.locator('td').nth(7).textContent()).toMatch(/^\d+ 天$/);
    expect(await lateRow.getAttribute('class')).toContain('overdue');
    expect(await lateRow.locator('[data-testid="overdue"]').textContent()).toBe('已超期');
    expect(await lateRow.locator('td').nth(5).textContent()).toBe('待答复已升级至主管部门');
    // Its open dataset shows on application, with no download yet.
    const dataset = page.locator(`#open-datasets tr[data-key="${entities}"]`);
    await dataset.waitFor();
    expect(await dataset.locator('td').nth(5).textContent()).toBe('依申请开放');
    expect(await dataset.locator('[data-testid="downloads"]').textContent()).toBe('0（CSV 0，NDJSON 0）');
    await page.locator('#open-applications').scrollIntoViewIfNeeded();
    await browser.screenshot(page, 'console-open-4-provider-applications');

    // Approving needs the use agreement, and the reason.
    await row.locator('[data-testid="decide-application"]').click();
    await page.fill('#open-app-reason', '用途为学术研究，符合依申请开放条件');
    await page.click('#open-app-approve');
    await expect.poll(() => errorOf(page, '#open-applications')).toBe('请填写数据利用协议（同意时必填）');
    await page.fill('#open-app-agreement', agreement);
    await page.fill('#open-app-days', '400');
    await page.click('#open-app-approve');
    await expect.poll(() => errorOf(page, '#open-applications')).toBe('有效天数须为 1 至 365 的整数');
    await page.fill('#open-app-days', '7');
    await browser.screenshot(page, 'console-open-5-provider-approving');
    await page.click('#open-app-approve');
    expect(await okOf(page, 'open-applications')).toContain('同意');
    await row.locator('td', { hasText: '已同意' }).waitFor();
    expect(await row.locator('[data-testid="decide-application"]').count()).toBe(0);
    expect(await row.locator('td').nth(8).textContent()).toMatch(/^用途为学术研究，符合依申请开放条件；有效期至 \d{4}\//);

    const [mine] = (await t.api(institute, 'GET', '/open/applications')).json<OpenApplication[]>();
    expect(mine).toMatchObject({ id: application.id, status: 'approved', agreement, decidedBy: samr.name, reason: '用途为学术研究，符合依申请开放条件' });
    const days = (Date.parse(mine!.validUntil!) - Date.parse(mine!.decidedAt!)) / 86_400_000;
    expect(Math.round(days)).toBe(7);
    const issued = await t.api(institute, 'POST', `/open/applications/${application.id}/key`);
    expect(issued.statusCode).toBe(200);
    const { key } = issued.json<{ key: string }>();
    expect(key).toMatch(/^odk_/);
    expect((await pub('GET', `/datasets/${entities}/download.csv`, undefined, '203.0.113.21', { 'x-download-key': key })).statusCode).toBe(200);

    // Decided elsewhere meanwhile: the console shows the API's refusal where the decision was made.
    expect((await t.api(samr, 'POST', `/open/applications/${overdue.id}/decision`, { approve: false, reason: '已电话告知申请方补充材料' })).statusCode).toBe(
      200,
    );
    await lateRow.locator('[data-testid="decide-application"]').click();
    await page.fill('#open-app-reason', '不符合条件');
    await page.click('#open-app-refuse');
    await expect.poll(() => errorOf(page, '#open-applications'), { timeout: 10_000 }).toBe(`application ${overdue.id} was already decided`);
    await browser.screenshot(page, 'console-open-6-provider-already-decided');
    const [refused] = (await t.api(late, 'GET', '/open/applications')).json<OpenApplication[]>();
    expect(refused).toMatchObject({ status: 'refused', reason: '已电话告知申请方补充材料' });
    await page.close();
    expect(problems).toEqual([]);
  });
});
