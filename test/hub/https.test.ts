import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { testConfig } from '../helpers/config.ts';
import { testLogger } from '../helpers/logger.ts';
import { testConnection } from '../helpers/kafka.ts';
import { buildApp } from '../../services/hub/build-app.ts';
import { loadConfig } from '../../services/platform/config.ts';
import { HubError } from '../../services/platform/errors.ts';

function httpsGet(port: number, path: string, ca: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** HUB_TLS_CERT/HUB_TLS_KEY: the API over HTTPS, the built-in registry still reachable by the hub itself. */
describe('HTTPS', () => {
  let dir: string;
  let cert: Buffer;
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hub-https-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    cert = await readFile(join(dir, 'cert.pem'));
    t = await createTestApp({ listen: true, env: { HUB_TLS_CERT: join(dir, 'cert.pem'), HUB_TLS_KEY: join(dir, 'key.pem') } });
    port = (t.app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await t?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the API over TLS to a client trusting the certificate', async () => {
    const health = await httpsGet(port, '/health/live', cert);
    expect(health.status).toBe(200);
    const auditor = await t.principal('auditor');
    const anonymous = await httpsGet(port, '/api/v1/catalog', cert);
    expect(anonymous.status).toBe(401);
    const authed = await httpsGet(port, '/api/v1/catalog', cert, t.auth(auditor));
    expect(authed.status).toBe(200);
  });

  it('refuses clients that do not trust the certificate, and plain HTTP on the public port', async () => {
    await expect(httpsGet(port, '/health/live', Buffer.from(''))).rejects.toThrow();
    const plain = await new Promise<string>((resolve) => {
      const req = httpGet({ host: '127.0.0.1', port, path: '/health/live' }, (res) => resolve(`status ${res.statusCode}`));
      req.on('error', (err) => resolve(`error ${err.message}`));
    });
    expect(plain).not.toBe('status 200');
  });

  it('registers schemas in its own registry over the loopback twin', async () => {
    const dept = await t.department('tls');
    const entry = await t.declare(dept, { dataset: 'theme.market_inspection', updateCycle: 'weekly' });
    expect(entry.subject).toBe(`raw.${dept.name}.theme.market_inspection-value`);
    const auditor = await t.principal('auditor');
    const stored = await httpsGet(port, `/registry/subjects/${entry.subject}/versions/latest`, cert, t.auth(auditor));
    expect(stored.status).toBe(200);
    expect(JSON.parse(stored.body)).toMatchObject({ subject: entry.subject, version: 1 });
  });

  it('needs both files, and says which one cannot be read', async () => {
    expect(() => loadConfig({ HUB_TLS_CERT: 'cert.pem' })).toThrow(/HUB_TLS_CERT and HUB_TLS_KEY go together/);
    const config = testConfig({ HUB_TLS_CERT: join(dir, 'missing.pem'), HUB_TLS_KEY: join(dir, 'key.pem') });
    const failure = await buildApp(config, { log: testLogger(), kafka: testConnection(), service: { name: 'hub-system', token: 'unused' } }).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(HubError);
    expect(failure).toMatchObject({ code: 'HUB_ERR_CONFIG' });
    expect((failure as Error).message).toContain('missing.pem');
  });
});
