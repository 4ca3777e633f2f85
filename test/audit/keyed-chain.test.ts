import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { createAuditLog, type AuditLog } from '../../services/audit/log.ts';
import { auditChainKey, auditHash } from '../../services/audit/hash.ts';

/** A database superuser can rewrite rows; without the key kept in the state folder it cannot re-chain them unnoticed. */
describe('the keyed audit chain and its head outside the database', () => {
  let db: TestDb;
  let dir: string;
  let audit: AuditLog;
  const key = auditChainKey('state-folder-secret');

  beforeAll(async () => {
    db = await createTestDb();
    dir = await mkdtemp(join(tmpdir(), 'hub-audit-head-'));
    audit = createAuditLog({ pool: db.pool, key, headFile: join(dir, 'head.json') });
    for (let i = 1; i <= 6; i++) await audit.append(db.pool, { actor: 'alice', actorRole: 'authority', action: 'test.appended', method: 'api', detail: { i } });
    expect(await audit.keepHead()).toMatchObject({ seq: 6 });
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 6 });
  });
  afterAll(async () => {
    await db?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  type Row = {
    seq: number;
    at: string;
    actor: string;
    actorRole: string;
    action: string;
    purpose: null;
    approver: null;
    subjectProvider: null;
    datasets: string[];
    fields: string[];
    detail: Record<string, unknown>;
    method: string;
    prevHash: string;
  };

  /** What a superuser without the key does: change row 3 and re-chain everything after it, as plain SHA-256 or with a guessed key. */
  async function rewriteAsSuperuser(withKey?: string): Promise<void> {
    const { records } = await audit.list({ limit: 100 });
    const rows = [...records].sort((a, b) => a.seq - b.seq);
    await db.pool.query('ALTER TABLE audit_log DISABLE TRIGGER ALL');
    try {
      let prev = rows[1]!.hash;
      for (const r of rows.slice(2)) {
        const content: Row = { ...r, purpose: null, approver: null, subjectProvider: null, detail: r.seq === 3 ? { i: 'forged' } : r.detail, prevHash: prev };
        const hash = auditHash(content, withKey);
        await db.pool.query('UPDATE audit_log SET detail = $2, prev_hash = $3, hash = $4, keyed = $5 WHERE seq = $1', [
          r.seq,
          JSON.stringify(content.detail),
          prev,
          hash,
          withKey !== undefined,
        ]);
        prev = hash;
      }
    } finally {
      await db.pool.query('ALTER TABLE audit_log ENABLE TRIGGER ALL');
    }
  }

  it('catches a trail rewritten and re-chained without the key', async () => {
    await rewriteAsSuperuser();
    const plain = await audit.verify();
    expect(plain.ok).toBe(false);
    expect(plain.problems.map((p) => p.problem)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/without the chain key after keyed rows/),
        expect.stringMatching(/differs from the head kept outside the database/),
      ]),
    );
    await rewriteAsSuperuser(auditChainKey('a guess'));
    const guessed = await audit.verify();
    expect(guessed.problems.filter((p) => /the row was changed/.test(p.problem)).map((p) => p.seq)).toEqual([3, 4, 5, 6]);
  });

  it('catches rows cut from the end, which no hash inside the database can', async () => {
    await db.pool.query('ALTER TABLE audit_log DISABLE TRIGGER ALL');
    await db.pool.query('DELETE FROM audit_log WHERE seq > 4');
    await db.pool.query('ALTER TABLE audit_log ENABLE TRIGGER ALL');
    const cut = await audit.verify();
    expect(cut.problems.map((p) => p.problem)).toEqual(
      expect.arrayContaining([expect.stringMatching(/row 6, the head kept outside the database, is missing/)]),
    );
    // Without the head, the shorter chain would look whole.
    const blind = await createAuditLog({ pool: db.pool, key }).verify();
    expect(blind.problems.some((p) => /missing: rows were cut/.test(p.problem))).toBe(false);
  });
});
