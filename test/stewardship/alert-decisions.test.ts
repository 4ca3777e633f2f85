import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../services/platform/db/pool.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { person } from '../helpers/people.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import type { QualityAlert } from '../../services/cleansing/alerts.ts';
import type { CorrectionView } from '../../services/stewardship/corrections.ts';

const dataset = 'base.natural_person';

describe('stewards decide quality alerts', () => {
  let t: TestApp;
  let psb: PrincipalCredentials;
  let mca: PrincipalCredentials;
  let steward: PrincipalCredentials;
  let table: string;
  let history: string;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    psb = await t.department('psb');
    mca = await t.department('mca');
    steward = await t.principal('steward');
    await t.declare(psb, { dataset, authoritativeFields: ['name', 'gender', 'birth_date', 'ethnicity_code', 'household_region_code'] });
    await t.enrol(await t.declare(mca, { dataset, authoritativeFields: ['marital_status'] }), { marital_status: mca.name });
    await t.startCleansing();
    table = `"${t.db.schema}_base".natural_person`;
    history = `"${t.db.schema}_base".natural_person_history`;
  });
  afterAll(async () => {
    await t.cleanup();
  });

  /** psb lands person n, then mca disagrees on the name: one conflict alert about n. */
  async function conflictAbout(n: number, name: string, extra: Record<string, unknown> = {}): Promise<QualityAlert> {
    const before = await countIn(mca.name);
    // psb's record lands first: the raw topics are cleansed in parallel, and a provisional value
    // replaced later would make the alert's order the other way round.
    const psbBefore = await countIn(psb.name);
    await t.send(psb, dataset, [person(n)]);
    await t.cleansedFrom(psb.name, dataset, psbBefore + 1);
    await t.send(mca, dataset, [person(n, { name, ...extra })]);
    await t.cleansedFrom(mca.name, dataset, before + 1);
    const page = await queue(`kind=conflict&provider=${mca.name}&limit=500`);
    const found = page.items.find((a) => a.key === person(n).id_number && a.fields[0] === 'name');
    expect(found, `conflict about person ${n}`).toBeDefined();
    return found!;
  }
  const countIn = async (provider: string) =>
    Number(
      (await t.db.pool.query<{ n: string }>('SELECT records_in AS n FROM cleansing_counts WHERE provider = $1 AND dataset = $2', [provider, dataset])).rows[0]
        ?.n ?? 0,
    );
  const queue = async (query: string) => {
    const res = await t.api(steward, 'GET', `/quality/queue?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: QualityAlert[]; next: string | null }>();
  };
  const act = (id: string, body: Record<string, unknown>, who: PrincipalCredentials = steward) => t.api(who, 'POST', `/quality/alerts/${id}/actions`, body);

  it('accepting the other value lands it in the base table, with a history row and an audit row', async () => {
    const alert = await conflictAbout(201, '居民二零一');
    expect((await t.db.pool.query(`SELECT name FROM ${table} WHERE _key = $1`, [alert.key])).rows[0].name).toBe('居民201');
    const res = await act(alert.id, { action: 'accept', reason: '户籍窗口核对，民政登记的姓名正确' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ alert: QualityAlert }>().alert).toMatchObject({ status: 'resolved', resolution: 'accepted' });
    const row = (await t.db.pool.query(`SELECT name, _lineage FROM ${table} WHERE _key = $1`, [alert.key])).rows[0];
    expect(row.name).toBe('居民二零一');
    expect(row._lineage.find((g: { fields: string[] }) => g.fields.includes('name'))).toMatchObject({ provider: mca.name, recordId: `override:${alert.id}` });
    const h = await t.db.pool.query(`SELECT _provider, _findings FROM ${history} WHERE _key = $1 AND _record_id = $2`, [alert.key, `override:${alert.id}`]);
    expect(h.rows).toHaveLength(1);
    expect(h.rows[0]._findings[0]).toMatchObject({ rule: 'steward-override', by: steward.name });
    const audit = await t.db.pool.query(`SELECT actor FROM audit_log WHERE action = 'alert.accept' AND detail ->> 'alert' = $1`, [alert.id]);
    expect(audit.rows).toEqual([{ actor: steward.name }]);
    // Decided once: a second decision on a resolved alert is refused, not applied twice.
    expect((await act(alert.id, { action: 'keep', reason: 'again' })).statusCode).toBe(409);
    // The detail shows the landed value with its lineage and the history.
    const detail = await t.api(steward, 'GET', `/quality/alerts/${alert.id}`);
    expect(detail.statusCode, detail.body).toBe(200);
    const body = detail.json<{ alert: { actions: { action: string }[] }; current: { values: { name: string } }; history: unknown[] }>();
    expect(body.current.values.name).toBe('居民二零一');
    expect(body.alert.actions.map((a) => a.action)).toEqual(['accept']);
    expect(body.history.length).toBeGreaterThanOrEqual(3);
  });

  it('a dismissed conflict does not come back with the same values, and does with a different one', async () => {
    const alert = await conflictAbout(202, '居民二零二');
    const res = await act(alert.id, { action: 'dismiss', reason: '同音字，非实质差异' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ alert: QualityAlert }>().alert.status).toBe('dismissed');
    const conflictsOn = async () => (await queue(`kind=conflict&limit=500`)).items.filter((a) => a.key === alert.key && a.fields[0] === 'name');
    // The same record again (dropped as a retransmission), then with another field changed: the name conflict stays dismissed.
    const n = await countIn(mca.name);
    await t.send(mca, dataset, [person(202, { name: '居民二零二' })]);
    await t.send(mca, dataset, [person(202, { name: '居民二零二', marital_status: 'MARRIED' })]);
    await t.cleansedFrom(mca.name, dataset, n + 2);
    expect((await conflictsOn()).map((a) => a.status)).toEqual(['dismissed']);
    // A different value is a new disagreement.
    await t.send(mca, dataset, [person(202, { name: '居民二〇二' })]);
    await t.cleansedFrom(mca.name, dataset, n + 3);
    expect((await conflictsOn()).map((a) => a.status).sort()).toEqual(['dismissed', 'open']);
    // Reopening needs a closed alert and lifts the suppression.
    const reopened = await act(alert.id, { action: 'reopen', reason: '复核' });
    expect(reopened.json<{ alert: QualityAlert }>().alert).toMatchObject({ status: 'open', resolution: null });
    expect((await t.db.pool.query('SELECT count(*)::int AS n FROM alert_suppressions WHERE alert_id = $1', [alert.id])).rows[0].n).toBe(0);
  });

  it('routing makes a correction request; the provider confirms; its corrected record closes it', async () => {
    const alert = await conflictAbout(203, '居民二零三');
    const routed = await act(alert.id, { action: 'route', reason: '请公安核实姓名', provider: psb.name });
    expect(routed.statusCode, routed.body).toBe(200);
    const { correction } = routed.json<{ alert: QualityAlert; correction: CorrectionView }>();
    expect(correction).toMatchObject({ provider: psb.name, alertId: alert.id, status: 'open', fields: ['name'] });
    // Only the provider it is addressed to sees and answers it.
    expect((await t.api(mca, 'GET', `/corrections/${correction.id}`)).statusCode).toBe(404);
    expect((await t.api(mca, 'POST', `/corrections/${correction.id}/verification`, { decision: 'rejected', note: 'x' })).statusCode).toBe(404);
    expect((await t.api(psb, 'GET', '/corrections')).json<CorrectionView[]>().map((c) => c.id)).toContain(correction.id);
    expect((await t.api(mca, 'GET', '/corrections')).json<CorrectionView[]>().map((c) => c.id)).not.toContain(correction.id);
    // A record before the verification does not close it; after confirming, the next one does.
    const verified = await t.api(psb, 'POST', `/corrections/${correction.id}/verification`, { decision: 'confirmed', note: '登记有误，将更正' });
    expect(verified.statusCode, verified.body).toBe(200);
    expect((await t.api(psb, 'POST', `/corrections/${correction.id}/verification`, { decision: 'rejected', note: 'again' })).statusCode).toBe(409);
    await t.send(psb, dataset, [person(203, { name: '居民二零三' })]);
    const closed = await waitFor(
      async () => {
        await t.app.corrections.sweep();
        return (await t.api(psb, 'GET', `/corrections/${correction.id}`)).json<CorrectionView>();
      },
      (c) => c.status === 'corrected',
    );
    expect(closed.correctedSource).toMatchObject({ topic: expect.stringContaining(psb.name) });
    const steps = await t.db.pool.query<{ action: string }>(`SELECT action FROM audit_log WHERE detail ->> 'correction' = $1 ORDER BY seq`, [correction.id]);
    expect(steps.rows.map((r) => r.action)).toEqual(['correction.reported', 'alert.route', 'correction.verified', 'correction.corrected']);
  });

  it('assigns, filters, and pages the queue by keyset without gaps or repeats', async () => {
    const a = await conflictAbout(204, '居民二零四');
    expect((await act(a.id, { action: 'assign', reason: '分派', assignee: steward.name })).statusCode).toBe(200);
    expect((await queue(`assignee=${steward.name}`)).items.map((x) => x.id)).toEqual([a.id]);
    expect((await queue('assignee=none&limit=500')).items.map((x) => x.id)).not.toContain(a.id);
    const all = (await queue('limit=500')).items.map((x) => x.id);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: QualityAlert[]; next: string | null } = await queue(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...page.items.map((x) => x.id));
      cursor = page.next;
    } while (cursor);
    expect(paged).toEqual(all);
    expect((await t.api(steward, 'GET', '/quality/queue?cursor=bm90LWEtY3Vyc29y')).statusCode).toBe(400);
    const summary = (await t.api(steward, 'GET', '/quality/summary')).json<{ open: number; byKind: { conflict: number } }>();
    expect(summary.open).toBeGreaterThan(0);
    expect(summary.byKind.conflict).toBeGreaterThan(0);
  });

  it('bulk: one decision on a filtered selection, each with its reason, failures listed', async () => {
    await conflictAbout(205, '居民二零五');
    const res = await t.api(steward, 'POST', '/quality/alerts/bulk', {
      action: 'keep',
      reason: '批量保留权威值',
      filter: { kind: 'conflict', status: 'open', provider: mca.name },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ applied: number }>().applied).toBeGreaterThan(0);
    expect((await queue(`kind=conflict&status=open&provider=${mca.name}`)).items).toEqual([]);
    const none = await t.api(steward, 'POST', '/quality/alerts/bulk', { action: 'keep', reason: 'x' });
    expect(none.statusCode).toBe(400);
  });

  it('refuses decisions without a reason, from departments, and dismissing an invalid record', async () => {
    const a = await conflictAbout(206, '居民二零六');
    expect((await act(a.id, { action: 'keep', reason: '' })).statusCode).toBe(400);
    expect((await act(a.id, { action: 'keep', reason: '   ' })).statusCode).toBe(400);
    // The department whose value lost cannot decide for the data, nor read the steward's queue or the detail with both values.
    expect((await act(a.id, { action: 'accept', reason: 'mine' }, mca)).statusCode).toBe(403);
    expect((await t.api(mca, 'GET', `/quality/alerts/${a.id}`)).statusCode).toBe(403);
    expect((await t.api(mca, 'GET', '/quality/queue')).statusCode).toBe(403);
    const n = await countIn(psb.name);
    await t.send(psb, dataset, [{ ...person(207), id_number: '110101199003077777' }]);
    await t.cleansedFrom(psb.name, dataset, n + 1);
    const invalid = (await queue('kind=invalid')).items[0];
    expect(invalid).toBeDefined();
    const refused = await act(invalid!.id, { action: 'dismiss', reason: 'false positive' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ message: string }>().message).toMatch(/quarantined/);
  });

  it('the stream sends an alert committed after a poll passed its detection time, and not those already there', async () => {
    const before = await conflictAbout(208, '居民二零八');
    const late = { ...before, id: randomUUID(), key: 'late-key', detectedAt: new Date(Date.now() - 5000).toISOString(), status: 'open' as const };
    const streaming = t.app.inject({ url: '/api/v1/quality/stream', headers: t.auth(steward) });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await withTransaction(t.db.pool, (client) => t.app.qualityAlerts.insert(client, [late]));
    const body = (await streaming).body;
    expect(body).toContain(late.id);
    expect(body).not.toContain(before.id);
    // Resuming from the last id it was given, a client gets the late alert again at worst, never less.
    const lastId = [...body.matchAll(/^id: (.+)$/gm)].at(-1)![1]!;
    const resumed = await t.app.inject({ url: '/api/v1/quality/stream', headers: { ...t.auth(steward), 'last-event-id': lastId } });
    expect(resumed.statusCode).toBe(200);
  });

  it('answers NUL bytes, oversized fields and wrong types in otherwise well-formed requests with 400, and changes nothing', async () => {
    const a = await conflictAbout(209, '居民二零九');
    const id = randomUUID();
    const cases: [PrincipalCredentials, 'GET' | 'POST', string, unknown?][] = [
      [steward, 'POST', `/quality/alerts/${a.id}/actions`, { action: 'keep', reason: 'a\u0000b' }],
      [steward, 'POST', `/quality/alerts/${a.id}/actions`, { action: 'keep', reason: 'x'.repeat(2001) }],
      [steward, 'POST', `/quality/alerts/${a.id}/actions`, { action: 5, reason: '理由' }],
      [steward, 'POST', `/quality/alerts/${a.id}/actions`, { action: 'assign', reason: '理由', assignee: ['x'] }],
      [steward, 'POST', '/quality/alerts/bulk', { action: 'keep', reason: '理由', ids: ['\u0000'] }],
      [steward, 'POST', '/quality/alerts/bulk', { action: 'keep', reason: '理由', ids: Array.from({ length: 1001 }, () => a.id) }],
      [steward, 'POST', '/quality/alerts/bulk', { action: 'keep', reason: '理由', filter: { olderThanDays: 'x' } }],
      [steward, 'POST', '/corrections', { dataset, key: 'k', fields: ['name'], description: '\u0000' }],
      [steward, 'POST', '/corrections', { dataset, key: 'k', fields: [{ field: 'name' }], description: '描述' }],
      [steward, 'POST', '/corrections', { dataset, key: 'k'.repeat(501), fields: ['name'], description: '描述' }],
      [psb, 'POST', `/corrections/${id}/verification`, { decision: 'confirmed', note: 'a\u0000' }],
      [psb, 'POST', `/corrections/${id}/verification`, { decision: true, note: '说明' }],
      [steward, 'GET', '/scorecards?period=2026-12%00'],
      [steward, 'GET', '/scorecards?format=xml'],
      [steward, 'GET', '/quality/queue?limit=1e20'],
      [steward, 'GET', '/quality/queue?olderThanDays=-1'],
      [steward, 'GET', '/quality/queue?dataset=%00'],
    ];
    for (const [who, method, url, body] of cases) {
      const res = await t.api(who, method, url, body);
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)?.slice(0, 80)}`).toBe(400);
      expect(res.json<{ message: string }>().message.length).toBeGreaterThan(0);
    }
    expect((await t.api(steward, 'GET', `/quality/alerts/${a.id}`)).json<{ alert: QualityAlert }>().alert.status).toBe('open');
  });

  it('streams new alerts as server-sent events', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const res = await t.app.inject({ url: '/api/v1/quality/stream', headers: { ...t.auth(steward), 'last-event-id': since } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    expect(res.body).toMatch(/event: alert\ndata: \{/);
  });
});
