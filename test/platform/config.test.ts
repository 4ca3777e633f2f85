import { describe, expect, it } from 'vitest';
import { loadConfig, redactUrl, settings } from '../../services/platform/config.ts';
import { HubError } from '../../services/platform/errors.ts';

describe('config', () => {
  it("uses this machine's servers and a local broker by default", () => {
    const c = loadConfig({}, '/srv/hub');
    expect(c.http.port).toBe(8080);
    expect(c.database.url).toBe('postgres://postgres@127.0.0.1:5432/hub');
    expect(c.redis.url).toBe('redis://127.0.0.1:6379/0');
    expect(c.kafka.brokers).toBeNull();
    expect(c.registry.url).toBeNull();
    expect(c.stateDir).toBe('/srv/hub/.hub');
  });

  it('is frozen all the way down', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.kafka.local)).toBe(true);
    expect(() => {
      (c.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('reads external Kafka and registry settings', () => {
    const c = loadConfig({ KAFKA_BROKERS: 'a:9092, b:9093', KAFKA_USERNAME: 'hub', KAFKA_PASSWORD: 'pw', SCHEMA_REGISTRY_URL: 'http://reg:8081' });
    expect(c.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(c.registry.url).toBe('http://reg:8081');
  });

  it('reports every problem at once with the variable names', () => {
    let err: unknown;
    try {
      loadConfig({ HUB_PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'not a url', KAFKA_BROKERS: 'nohost' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HubError);
    const { code, message } = err as HubError;
    expect(code).toBe('HUB_ERR_CONFIG');
    for (const name of ['HUB_PORT', 'LOG_LEVEL', 'DATABASE_URL', 'KAFKA_BROKERS']) expect(message).toContain(name);
    expect(message).not.toContain('not a url');
  });

  it('requires the super user when KAFKA_BROKERS is set', () => {
    expect(() => loadConfig({ KAFKA_BROKERS: 'k:9092' })).toThrow(/KAFKA_USERNAME and KAFKA_PASSWORD/);
  });

  it('rejects out-of-range numbers', () => {
    expect(() => loadConfig({ HUB_PORT: '70000' })).toThrow(/HUB_PORT must be at most 65535/);
  });

  it('documents every setting with a unique variable', () => {
    const names = Object.values(settings).map((s) => s.env);
    expect(new Set(names).size).toBe(names.length);
    for (const s of Object.values(settings)) expect(s.doc.length).toBeGreaterThan(3);
  });

  it('redacts passwords in URLs', () => {
    expect(redactUrl('postgres://u:secret@h:5432/db')).toBe('postgres://u:***@h:5432/db');
  });
});
