import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { openBrowser, type TestBrowser } from '../helpers/browser.ts';

describe('the stewardship console in a browser', () => {
  let t: TestApp;
  let browser: TestBrowser;
  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  it("signs a consumer in with its token and refuses it the stewards' page without calling its API", async () => {
    const consumer = await t.principal('consumer');
    const { port } = t.app.server.address() as AddressInfo;
    const page = await browser.page();
    const calls: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/api/')) calls.push(`${r.method()} ${url.pathname}`);
    });
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });

    await page.goto(`http://127.0.0.1:${port}/console/`);
    await browser.screenshot(page, 'console-sign-in');
    await page.fill('#token', consumer.token);
    await page.click('button:has-text("登录")');
    await page.waitForURL(/#\/consumer$/);
    expect(await page.textContent('#who-name')).toBe(consumer.name);
    await page.locator('section.panel table, section.panel .empty').first().waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(1);
    await browser.screenshot(page, 'console-consumer');

    calls.length = 0;
    await page.evaluate("location.hash = '#/steward'");
    const refused = page.locator('.refused');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('无权访问：此页面仅限');
    await browser.screenshot(page, 'console-consumer-refused');
    expect(calls).toEqual([]);
    expect(problems).toEqual([]);

    await page.click('#logout');
    await page.locator('#login').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });
});
