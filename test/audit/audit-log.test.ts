import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { withTransaction } from '../../services/platform/db/pool.ts';
import { createAuditLog, type AuditEvent, type AuditLog } from '../../services/audit/log.ts';
import { auditHash, genesisHash } from '../../services/audit/hash.ts';

const event = (n: number, over: Partial<AuditEvent> = {}): AuditEvent => ({
  actor: `consumer-${n % 3}`,
  actorRole: 'consumer',
  action: 'verification.called',
  method: 'verification',
  purpose: '低保资格核验',
  approver: 'authority-1',
  subjectProvider: n % 2 === 0 ? 'psb' : 'tax',
  datasets: ['base.natural_person'],
  fields: ['id_number', 'name'],
  detail: { n, nested: { z: 1, a: [1.5, 'x', null] }, 名称: '核验' },
  ...over,
});

describe('audit log', () => {
  let db: TestDb;
  let audit: AuditLog;
  beforeAll(async () => {
    db = await createTestDb();
    audit = createAuditLog({ pool: db.pool });
  });
  afterAll(async () => db.cleanup());

  // Each test starts from an empty trail; the trigger refuses the TRUNCATE unless disabled.
  afterEach(async () => {
    await withTransaction(db.pool, async (c) => {
      await c.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await c.query('TRUNCATE audit_log');
      await c.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    });
  });

  const tamper = (...statements: [string, unknown[]?][]) =>
    withTransaction(db.pool, async (c) => {
      await c.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      for (const [sql, params] of statements) await c.query(sql, params);
      await c.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    });

  const appendMany = async (n: number) => {
    for (let i = 1; i <= n; i += 1) await audit.append(db.pool, event(i));
  };

  it('chains appended events from the genesis hash and verifies them', async () => {
    const first = await audit.append(db.pool, event(1));
    const second = await audit.append(db.pool, event(2, { purpose: null, approver: null, datasets: [], fields: [], detail: {} }));
    expect(first).toMatchObject({ seq: 1, prevHash: genesisHash, actor: 'consumer-1', subjectProvider: 'tax' });
    expect(first.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash, purpose: null, datasets: [] });
    expect(first.hash).toBe(auditHash(first));
    expect(await audit.verify()).toEqual({ ok: true, checked: 2, problems: [], head: { seq: 2, hash: second.hash } });
    const { records } = await audit.list({});
    expect(records.map((r) => r.seq)).toEqual([2, 1]);
    expect(records[1]).toEqual(first);
  });

  it('stores values that look like SQL exactly as given (the group commit writes them as literals)', async () => {
    const hostile = `x'); DELETE FROM audit_log; --\\ \\' "q" 名'称 $1 E'\\x00'`;
    const appended = await audit.append(
      db.pool,
      event(3, { actor: hostile, purpose: hostile, datasets: [hostile, '', '{a,b}'], fields: ['"', '\\'], detail: { [hostile]: hostile, n: 1e21 } }),
    );
    const { records } = await audit.list({});
    expect(records).toEqual([appended]);
    expect(records[0]).toMatchObject({ actor: hostile, purpose: hostile, datasets: [hostile, '', '{a,b}'], fields: ['"', '\\'] });
    expect(records[0]?.detail).toEqual({ [hostile]: hostile, n: 1e21 });
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 1 });
  });

  it('verifies an empty trail', async () => {
    expect(await audit.verify()).toEqual({ ok: true, checked: 0, problems: [], head: null });
  });

  it('keeps the chain linear under 20 concurrent appends', async () => {
    const records = await Promise.all(Array.from({ length: 20 }, (_, i) => audit.append(db.pool, event(i))));
    expect(records.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const bySeq = [...records].sort((a, b) => a.seq - b.seq);
    for (const [i, r] of bySeq.entries()) expect(r.prevHash).toBe(i === 0 ? genesisHash : bySeq[i - 1]?.hash);
    expect(await audit.verify()).toEqual({ ok: true, checked: 20, problems: [], head: { seq: 20, hash: bySeq[19]?.hash } });
  });

  it("appends inside the caller's transaction: rolled back with it, without a gap", async () => {
    await withTransaction(db.pool, async (c) => audit.append(c, event(1)));
    await expect(
      withTransaction(db.pool, async (c) => {
        await audit.append(c, event(2));
        throw new Error('the business change failed');
      }),
    ).rejects.toThrow('the business change failed');
    const client = await db.pool.connect();
    try {
      // A client outside any transaction gets an append of its own.
      expect((await audit.append(client, event(3))).seq).toBe(2);
    } finally {
      client.release();
    }
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 2 });
  });

  it('refuses appends in a snapshot that could miss the last row, and malformed events', async () => {
    await expect(
      withTransaction(db.pool, async (c) => {
        await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        return audit.append(c, event(1));
      }),
    ).rejects.toThrow(/READ COMMITTED/);
    await expect(audit.append(db.pool, event(1, { action: 'Grant Created' }))).rejects.toThrow(/dotted lower case/);
    expect((await audit.list({})).total).toBe(0);
  });

  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    await appendMany(2);
    await expect(db.pool.query("UPDATE audit_log SET purpose = 'x' WHERE seq = 1")).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(db.pool.query('DELETE FROM audit_log WHERE seq = 2')).rejects.toThrow(/append-only: DELETE refused/);
    await expect(db.pool.query('TRUNCATE audit_log')).rejects.toThrow(/append-only: TRUNCATE refused/);
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 2 });
  });

  it('detects a changed row, also when its hash was recomputed', async () => {
    await appendMany(4);
    await tamper(["UPDATE audit_log SET purpose = '随便看看' WHERE seq = 2"]);
    expect(await audit.verify()).toMatchObject({ ok: false, checked: 4, problems: [{ seq: 2, problem: expect.stringMatching(/row was changed/) }] });

    await tamper(["UPDATE audit_log SET detail = jsonb_set(detail, '{n}', '99') WHERE seq = 3"]);
    const [third] = (await audit.list({ limit: 1, offset: 1 })).records;
    await tamper(['UPDATE audit_log SET hash = $1 WHERE seq = 3', [auditHash(third!)]]);
    const { problems } = await audit.verify();
    expect(problems.map((p) => p.seq)).toEqual([2, 4]);
    expect(problems[1]?.problem).toMatch(/prev_hash does not match the hash of row 3/);
  });

  it('detects a deleted row', async () => {
    await appendMany(4);
    await tamper(['DELETE FROM audit_log WHERE seq = 2']);
    const result = await audit.verify();
    expect(result.ok).toBe(false);
    expect(result.checked).toBe(3);
    expect(result.problems).toEqual([
      { seq: 3, problem: 'row 2 is missing (deleted)' },
      { seq: 3, problem: expect.stringMatching(/prev_hash does not match the hash of row 1/) },
    ]);
  });

  it('detects an inserted row, at the end or renumbered into the middle', async () => {
    await appendMany(3);
    const forged = (seq: number, prevHash: string) => {
      const content = {
        seq,
        at: '2024-05-01T00:00:00.000000Z',
        actor: 'mallory',
        actorRole: 'authority',
        action: 'grant.created',
        purpose: null,
        approver: null,
        subjectProvider: 'psb',
        datasets: [],
        fields: [],
        detail: {},
        method: 'api',
        prevHash,
      };
      return [
        `INSERT INTO audit_log (seq, at, actor, actor_role, action, subject_provider, method, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [seq, content.at, content.actor, content.actorRole, content.action, content.subjectProvider, content.method, prevHash, auditHash(content)],
      ] as [string, unknown[]];
    };
    await tamper(forged(4, genesisHash));
    expect((await audit.verify()).problems).toEqual([{ seq: 4, problem: expect.stringMatching(/prev_hash does not match the hash of row 3/) }]);

    await tamper(['DELETE FROM audit_log WHERE seq = 4']);
    const [second] = (await audit.list({ limit: 1, offset: 1 })).records;
    await tamper(['UPDATE audit_log SET seq = seq + 1 WHERE seq = 3'], forged(3, second!.hash));
    const { problems } = await audit.verify();
    expect(problems.map((p) => p.seq)).toEqual([4, 4]);
    expect(problems.map((p) => p.problem).join('\n')).toMatch(/prev_hash does not match the hash of row 3[\s\S]*row was changed/);
  });

  it('filters the trail and tells a provider who used its data for what', async () => {
    await appendMany(6);
    await audit.append(
      db.pool,
      event(7, {
        actor: 'steward-1',
        actorRole: 'steward',
        action: 'catalog.changed',
        method: 'api',
        subjectProvider: 'psb',
        datasets: ['base.legal_entity'],
        purpose: null,
      }),
    );
    expect((await audit.list({ actor: 'consumer-1' })).records.map((r) => r.seq)).toEqual([4, 1]);
    expect((await audit.list({ action: 'catalog.*' })).records.map((r) => r.seq)).toEqual([7]);
    expect(await audit.list({ provider: 'psb', limit: 2 })).toMatchObject({ total: 4, records: [{ seq: 7 }, { seq: 6 }] });
    expect((await audit.list({ from: '2999-01-01T00:00:00Z' })).total).toBe(0);

    const usage = await audit.usageOf('psb');
    expect(usage.total).toBe(4);
    expect(usage.records.every((r) => r.subjectProvider === 'psb')).toBe(true);
    expect(usage.uses).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: 'steward-1', action: 'catalog.changed', count: 1, datasets: ['base.legal_entity'] }),
        expect.objectContaining({ actor: 'consumer-2', action: 'verification.called', purpose: '低保资格核验', count: 1, datasets: ['base.natural_person'] }),
      ]),
    );
    expect(usage.uses.reduce((n, u) => n + u.count, 0)).toBe(4);
  });
});
