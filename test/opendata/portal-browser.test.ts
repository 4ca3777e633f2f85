import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parse } from 'csv-parse/sync';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { openBrowser, type TestBrowser } from '../helpers/browser.ts';
import { person } from '../helpers/people.ts';
import { orgCodeCheckChar, usccCheckChar } from '../../services/cleansing/rules/uscc.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import type { OpenApplication } from '../../services/opendata/application-store.ts';

const uscc = (n: number) => {
  const organisation = `R${String(n).padStart(7, '0')}`;
  const first17 = `12350100${organisation}${orgCodeCheckChar(organisation)}`;
  return first17 + usccCheckChar(first17);
};

describe('the open-data portal in a browser', () => {
  let t: TestApp;
  let browser: TestBrowser;
  let psb: PrincipalCredentials;
  let mca: PrincipalCredentials;
  let base: string;
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    return page;
  };

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    browser = await openBrowser();
    psb = await t.department('psb');
    mca = await t.department('mca');
    const authority = await t.authority();
    await t.declare(psb, { dataset: 'base.natural_person', openType: 'open' });
    await t.declare(mca, { dataset: 'theme.social_insurance_enrolment', openType: 'on_application' });
    await t.startCleansing();
    await t.send(psb, 'base.natural_person', [person(11), person(12), person(13)]);
    await t.cleansedFrom(psb.name, 'base.natural_person', 3);
    for (const [who, dataset, openType] of [
      [psb, 'base.natural_person', 'open'],
      [mca, 'theme.social_insurance_enrolment', 'on_application'],
    ] as const) {
      expect((await t.api(who, 'PUT', `/open/datasets/${dataset}`, { openType, licence: 'CC-BY-4.0', description: '测试开放数据' })).statusCode).toBe(200);
      expect((await t.api(authority, 'POST', `/open/datasets/${dataset}/review`, { approve: true, reason: '同意开放' })).statusCode).toBe(200);
    }
    await t.app.openData.publishDue();
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  it('searches, opens a dataset, downloads its desensitized CSV and leaves feedback', async () => {
    const page = watch(await browser.page());
    await page.goto(`${base}/open/`);
    await page.locator('[data-testid="dataset-card"]').first().waitFor();
    expect(await page.locator('[data-testid="dataset-card"]').count()).toBe(2);
    await page.fill('#search', '不存在的关键词xyz');
    await page.click('#search-button');
    await page.locator('#no-results').waitFor();
    await page.fill('#search', 'natural_person');
    await page.click('#search-button');
    // Polled from the test: a string predicate would be evaluated in the page, which the portal's CSP forbids.
    await expect.poll(() => page.locator('[data-testid="dataset-card"]').count(), { timeout: 10_000 }).toBe(1);
    await browser.screenshot(page, 'open-portal-search');
    await page.click('[data-dataset="base.natural_person"] h2 a');
    await page.locator('#dataset-detail').waitFor();
    expect(await page.locator('#fields tr[data-field="name"]').textContent()).toContain('已脱敏');
    expect(await page.locator('#fields tr[data-field="id_number"]').count()).toBe(0);
    expect(await page.textContent('#freshness')).toContain('3 行');
    await browser.screenshot(page, 'open-portal-dataset');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    const csv = await readFile((await download.path())!, 'utf8');
    const published = await page.locator('#fields tr[data-field]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-field')));
    expect(published).toContain('name');
    expect(csv.split('\n')[0]!.split(',')).toEqual(published);
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    expect(Object.keys(rows[0]!)).not.toContain('id_number');
    for (const r of rows) expect(r.name).toMatch(/^.\*+$/);

    await page.selectOption('#feedback-kind', 'request');
    await page.fill('#feedback-message', '希望按区县提供统计数据');
    await page.fill('#feedback-contact', 'citizen@example.org');
    await page.click('#feedback-submit');
    await page.locator('#feedback-notice .notice.ok').waitFor();
    await browser.screenshot(page, 'open-portal-feedback');
    const inbox = (await t.api(psb, 'GET', '/open/feedback')).json() as { message: string; kind: string; contact: string }[];
    expect(inbox).toEqual([expect.objectContaining({ message: '希望按区县提供统计数据', kind: 'request', contact: 'citizen@example.org' })]);
    expect(problems).toEqual([]);
  });

  it('an organisation registers, applies for data open on application and downloads it with its key once approved', async () => {
    const page = watch(await browser.page());
    await page.goto(`${base}/open/#/datasets/theme.social_insurance_enrolment`);
    await page.locator('#register-form').waitFor();
    expect(await page.locator('#download-csv').count()).toBe(0);
    await page.fill('#org-name', '某大学社会保障研究中心');
    await page.fill('#org-uscc', uscc(7));
    await page.selectOption('#org-kind', 'university');
    await page.fill('#org-contact', 'lab@example.edu.cn');
    await page.click('#register-submit');
    await page.locator('#apply-form').waitFor();
    await page.fill('#apply-purpose', '社会保险参保结构学术研究');
    await page.click('#apply-submit');
    await page.locator('#my-applications tr[data-application]').waitFor();
    expect(await page.locator('#my-applications .status').textContent()).toBe('待答复');
    await browser.screenshot(page, 'open-portal-applied');

    const [application] = (await t.api(mca, 'GET', '/open/applications')).json() as OpenApplication[];
    expect(application).toMatchObject({ purpose: '社会保险参保结构学术研究', status: 'pending' });
    const decided = await t.api(mca, 'POST', `/open/applications/${application!.id}/decision`, {
      approve: true,
      reason: '用途符合规定',
      agreement: '仅用于学术研究，不得再次分发。',
    });
    expect(decided.statusCode).toBe(200);

    await page.reload();
    await page.locator('#my-applications .get-key').waitFor();
    expect(await page.locator('#my-applications .status').textContent()).toBe('已同意');
    await page.click('#my-applications .get-key');
    await page.locator('#key-download').waitFor();
    await browser.screenshot(page, 'open-portal-key');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#key-download')]);
    const text = await readFile((await download.path())!, 'utf8');
    // Nothing landed for this dataset yet: the snapshot is its header alone, but the key opened it.
    expect(text.split('\n')[0]).toMatch(/^[a-z_]+(,[a-z_]+)+$/);
    const refused = await page.evaluate(async (url) => (await fetch(url)).status, `${base}/open/datasets/theme.social_insurance_enrolment/download.csv`);
    expect(refused).toBe(403);
    expect(problems).toEqual([]);
  });
});
