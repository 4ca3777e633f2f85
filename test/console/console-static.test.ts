import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const csp = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
const publicDir = new URL('../../services/console/public/', import.meta.url);

describe('the stewardship console', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('serves the page under /console/ with a strict Content-Security-Policy, and redirects /console there', async () => {
    const page = await t.app.inject('/console/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toBe(csp);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).toContain('<input id="token" type="password"');
    expect(page.body).toContain('<script src="/console/vendor/echarts.min.js"');
    const bare = await t.app.inject('/console');
    expect(bare.statusCode).toBe(302);
    expect(bare.headers.location).toBe('/console/');
  });

  it('serves its script, its style sheet and ECharts from node_modules', async () => {
    const app = await t.app.inject('/console/app.js');
    expect(app.statusCode).toBe(200);
    expect(app.headers['content-type']).toMatch(/javascript/);
    expect(app.headers['content-security-policy']).toBe(csp);
    expect(app.body).toContain('/api/v1');
    const css = await t.app.inject('/console/style.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    const echarts = await t.app.inject('/console/vendor/echarts.min.js');
    expect(echarts.statusCode).toBe(200);
    expect(echarts.headers['content-type']).toMatch(/javascript/);
    expect(echarts.body.length).toBeGreaterThan(500_000);
    expect(echarts.body).toContain('echarts');
  });

  it('keeps every console route out of the OpenAPI spec, and nothing outside public/ is served', async () => {
    const spec = t.app.swagger() as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths).filter((p) => p.startsWith('/console'))).toEqual([]);
    for (const url of ['/console/plugin.ts', '/console/%2e%2e/plugin.ts', '/console/..%2fplugin.ts', '/console/nothing.js']) {
      const res = await t.app.inject(url);
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body, url).not.toContain('consolePlugin');
    }
  });

  it('loads nothing from the internet: no file names an http(s) address, every script and style sheet is the hub own', async () => {
    const files = await readdir(publicDir, { recursive: true, withFileTypes: true });
    const names = files.filter((f) => f.isFile()).map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['index.html', 'app.js', 'style.css']));
    for (const name of names) {
      const text = await readFile(new URL(name, publicDir), 'utf8');
      expect(text, name).not.toMatch(/https?:\/\//i);
      expect(text, name).not.toMatch(/@import|url\(\s*['"]?\/\//i);
    }
    const html = await readFile(new URL('index.html', publicDir), 'utf8');
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref).toMatch(/^(\/console\/|data:)/);
  });
});
