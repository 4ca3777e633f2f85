import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnectorConfig, parseConnectorConfig } from '../../connectors/db/config.ts';
import { buildBatchQuery } from '../../connectors/db/batch-query.ts';
import { advancePosition, startPosition, type SourceRow } from '../../connectors/db/position.ts';
import { mariadbDialect, postgresDialect } from '../../connectors/db/sql-dialect.ts';
import { parseDbTime } from '../../connectors/db/db-time.ts';

const valid = {
  id: 'people-sync',
  department: 'public-security',
  dataset: 'base.natural_person',
  source: { kind: 'mariadb', url: 'mysql://reader:${DB_PASSWORD}@10.0.0.5:3306/hr', table: 'hr.people', cursor: { updatedAt: 'modified', id: 'id' } },
  mapping: { id_number: 'sfzh', name: 'xm' },
  kafka: { brokers: ['10.0.0.1:9092', '10.0.0.2:9092'], username: 'public-security', password: '${KAFKA_PASSWORD}' },
  registry: { url: 'https://hub.example/registry/', username: 'public-security', password: '${HUB_TOKEN}' },
};
const env = { DB_PASSWORD: 'db-secret', KAFKA_PASSWORD: 'k-secret', HUB_TOKEN: 'hub_token' };

function problems(doc: unknown, e: Record<string, string> = env): string {
  try {
    parseConnectorConfig(doc, e);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('connector config', () => {
  it('accepts a valid config, fills ${ENV} references and applies defaults', () => {
    const config = parseConnectorConfig(valid, env);
    expect(config.source).toEqual({
      kind: 'mariadb',
      url: 'mysql://reader:db-secret@10.0.0.5:3306/hr',
      table: { schema: 'hr', name: 'people' },
      cursor: { updatedAt: 'modified', id: 'id' },
      where: null,
      timeZone: '+08:00',
    });
    expect(config.kafka).toEqual({ brokers: ['10.0.0.1:9092', '10.0.0.2:9092'], username: 'public-security', password: 'k-secret' });
    expect(config.registry.url).toBe('https://hub.example/registry');
    expect(config.registry.password).toBe('hub_token');
    expect(config.pollIntervalMs).toBe(5000);
    expect(config.batchSize).toBe(500);
  });

  it('reports every problem at once, each naming its key', () => {
    const message = problems(
      {
        department: 'Public.Security',
        dataset: 'natural_person',
        source: { kind: 'oracle', url: 'not a url', table: 'people; DROP TABLE x', cursor: {}, where: '1=1; DELETE FROM people', extra: 1 },
        mapping: { name: 'xm"; --' },
        kafka: { brokers: ['no-port'], username: 'u', password: '${MISSING_SECRET}' },
        registry: { url: 'ftp://x', username: 'u', password: 'p' },
        batchsize: 10,
        pollIntervalMs: -1,
      },
      {},
    );
    for (const expected of [
      'id: is missing',
      'department: must be a department name',
      'dataset: must be a dataset id',
      'source.kind: must be "postgres" or "mariadb", got "oracle"',
      'source.url: not a URL',
      'source.table: "people; DROP TABLE x" is not a plain table name',
      'source.cursor: name an updatedAt column, an id column, or both',
      'source.where: must be one SQL condition, without ";" or comments',
      'source.extra: unknown key',
      'mapping.name: "xm\\"; --" is not a plain column name',
      'kafka.brokers: must be a list of host:port',
      'kafka.password: environment variable MISSING_SECRET is not set',
      'registry.url: must start with http:// or https://',
      'batchsize: unknown key',
      'pollIntervalMs: must be a whole number from 10',
    ]) {
      expect(message).toContain(expected);
    }
  });

  it('checks the source URL against the database kind, and the time zone', () => {
    expect(problems({ ...valid, source: { ...valid.source, kind: 'postgres' } })).toContain('source.url: must start with postgres:// or postgresql://');
    expect(problems({ ...valid, source: { ...valid.source, timeZone: 'Asia/Shanghai' } })).toContain('source.timeZone: must be a UTC offset like +08:00');
    expect(problems({ ...valid, source: { ...valid.source, where: "status = 'ok' -- only live rows" } })).toContain('source.where: must be one SQL condition');
    expect(problems({ ...valid, batchSize: 0 })).toContain('batchSize: must be a whole number from 1 to 10000, got 0');
  });

  describe('from a file', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'connector-config-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('names the file when it is missing or not JSON', async () => {
      await expect(loadConnectorConfig(join(dir, 'nope.json'), env)).rejects.toThrow(/cannot read connector config .*nope\.json/);
      await writeFile(join(dir, 'broken.json'), '{ "id": ');
      await expect(loadConnectorConfig(join(dir, 'broken.json'), env)).rejects.toThrow(/broken\.json is not valid JSON/);
      await writeFile(join(dir, 'ok.json'), JSON.stringify(valid));
      expect((await loadConnectorConfig(join(dir, 'ok.json'), env)).id).toBe('people-sync');
      await writeFile(join(dir, 'bad.json'), JSON.stringify({ ...valid, mapping: {} }));
      await expect(loadConnectorConfig(join(dir, 'bad.json'), env)).rejects.toThrow(
        /invalid connector config .*bad\.json: mapping: map at least one dataset field/,
      );
    });
  });
});

describe('batch queries', () => {
  const base = { table: { schema: 'hr', name: 'people' }, mapping: { id_number: 'sfzh' }, where: null };

  it('reads past a composite cursor with ties broken by id, values as parameters', () => {
    const q = buildBatchQuery(
      { ...base, dialect: postgresDialect, cursor: { updatedAt: 'modified', id: 'id' } },
      { updatedAt: '2024-05-01 08:30:00.123456', id: '42', seen: [] },
      7,
    );
    expect(q.sql).toBe(
      'SELECT "sfzh" AS "id_number", "modified"::text AS "__hub_cursor_updated_at", "id"::text AS "__hub_cursor_id" FROM "hr"."people" WHERE "modified" IS NOT NULL AND "id" IS NOT NULL AND ("modified" > $1 OR ("modified" = $2 AND "id" > $3)) ORDER BY "modified" ASC, "id" ASC LIMIT 7',
    );
    expect(q.params).toEqual(['2024-05-01 08:30:00.123456', '2024-05-01 08:30:00.123456', '42']);
  });

  it('reads updatedAt-only cursors with >= and room for the rows already seen at that instant', () => {
    const q = buildBatchQuery(
      { ...base, dialect: mariadbDialect, cursor: { updatedAt: 'modified', id: null }, where: "status <> 'draft'" },
      { updatedAt: '2024-05-01 08:30:00', id: null, seen: ['["a"]', '["b"]'] },
      7,
    );
    expect(q.sql).toBe(
      "SELECT `sfzh` AS `id_number`, CAST(`modified` AS CHAR) AS `__hub_cursor_updated_at` FROM `hr`.`people` WHERE `modified` IS NOT NULL AND `modified` >= ? AND (status <> 'draft') ORDER BY `modified` ASC LIMIT 9",
    );
    expect(q.params).toEqual(['2024-05-01 08:30:00']);
  });

  it('reads id-only cursors by id', () => {
    const q = buildBatchQuery({ ...base, dialect: postgresDialect, cursor: { updatedAt: null, id: 'id' } }, startPosition, 3);
    expect(q.sql).toBe('SELECT "sfzh" AS "id_number", "id"::text AS "__hub_cursor_id" FROM "hr"."people" WHERE "id" IS NOT NULL ORDER BY "id" ASC LIMIT 3');
  });

  it('keeps the keys published at the last instant only while that instant stays the same', () => {
    const row = (updatedAt: string, key: string): SourceRow => ({ values: {}, cursor: { updatedAt, id: null }, tieKey: key });
    const cursor = { updatedAt: 'modified', id: null };
    const p1 = advancePosition(startPosition, [row('t1', 'a'), row('t2', 'b'), row('t2', 'c')], cursor);
    expect(p1).toEqual({ updatedAt: 't2', id: null, seen: ['b', 'c'] });
    expect(advancePosition(p1, [row('t2', 'd')], cursor)).toEqual({ updatedAt: 't2', id: null, seen: ['b', 'c', 'd'] });
    expect(advancePosition(p1, [row('t2', 'd'), row('t3', 'e')], cursor)).toEqual({ updatedAt: 't3', id: null, seen: ['e'] });
    expect(advancePosition(p1, [{ values: {}, cursor: { updatedAt: 't4', id: '9' }, tieKey: 'x' }], { updatedAt: 'modified', id: 'id' })).toEqual({
      updatedAt: 't4',
      id: '9',
      seen: [],
    });
  });
});

describe('database times', () => {
  it('reads the server text exactly to the millisecond, in the given zone unless it carries one', () => {
    expect(parseDbTime('2024-05-01 08:30:00.123456', '+08:00')).toBe(Date.parse('2024-05-01T00:30:00.123Z'));
    expect(parseDbTime('2024-05-01 00:30:00.5+00', '+08:00')).toBe(Date.parse('2024-05-01T00:30:00.500Z'));
    expect(parseDbTime('2024-05-01 06:00:00+05:30', '+08:00')).toBe(Date.parse('2024-05-01T00:30:00Z'));
    expect(parseDbTime('2024-05-01', '+08:00')).toBe(Date.parse('2024-04-30T16:00:00Z'));
    expect(parseDbTime('2024-02-30 00:00:00', '+08:00')).toBeNull();
    expect(parseDbTime('infinity', '+08:00')).toBeNull();
  });
});
