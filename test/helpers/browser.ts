import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';

export interface TestBrowser {
  /** A new page in a context of its own, 1280×800. */
  page(): Promise<Page>;
  /** Saves the page as test-output/screenshots/<name>.png; returns the path. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

const screenshots = resolve('test-output', 'screenshots');

/** Debian's Chromium (or CHROMIUM_PATH), headless, driven by playwright-core; it never downloads a browser. */
export async function openBrowser(): Promise<TestBrowser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  try {
    await access(executablePath, constants.X_OK);
  } catch {
    throw new Error(`no Chromium at ${executablePath}: install the Debian package "chromium" (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    page: () => browser.newPage({ viewport: { width: 1280, height: 800 } }),
    async screenshot(page, name) {
      await mkdir(screenshots, { recursive: true });
      const path = join(screenshots, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    close: () => browser.close(),
  };
}
