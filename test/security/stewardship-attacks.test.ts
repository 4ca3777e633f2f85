import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { person } from '../helpers/people.ts';
import { waitFor } from '../helpers/wait.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import { alertFingerprint, type QualityAlert } from '../../services/cleansing/alerts.ts';
import type { CorrectionView } from '../../services/stewardship/corrections.ts';
import { emptyScorecard, type Scorecard, type ScorecardReport, scorecardCsv } from '../../services/stewardship/scorecards.ts';
import { departmentNamePattern } from '../../services/contract/names.ts';
import { consoleCsp } from '../../services/console/plugin.ts';

const dataset = 'base.natural_person';
const inAYear = () => new Date(Date.now() + 365 * 86_400_000).toISOString();
/** A record this far in the future fails `date-past` on updated_at: quarantined, its key intact. */
const future = () => Date.now() + 30 * 86_400_000;
const keyOf = (n: number) => String(person(n).id_number);

/**
 * A hostile department (mallory, a co-provider without authority), hostile consumers and a careless
 * steward against the stewardship console's routes. psb is the authority for name, gender, birth_date.
 */
describe('stewardship: hostile departments, hostile consumers, careless stewards', () => {
  let t: TestApp;
  let psb: PrincipalCredentials;
  let mallory: PrincipalCredentials;
  let mca: PrincipalCredentials;
  let steward: PrincipalCredentials;
  let authority: PrincipalCredentials;
  let auditor: PrincipalCredentials;
  let consumer: PrincipalCredentials;
  let stranger: PrincipalCredentials;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    psb = await t.department('psb');
    mallory = await t.department('mallory');
    mca = await t.department('mca');
    steward = await t.principal('steward');
    authority = await t.authority();
    auditor = await t.principal('auditor');
    consumer = await t.principal('consumer');
    stranger = await t.principal('consumer');
    await t.declare(psb, { dataset, authoritativeFields: ['name', 'gender', 'birth_date'] });
    await t.enrol(await t.declare(mallory, { dataset }), {});
    await t.enrol(await t.declare(mca, { dataset }), {});
    await t.declare(mca, { dataset: 'base.legal_entity' });
    await t.startCleansing();
    await t.startGrants();
    const applied = await t.api(consumer, 'POST', '/applications', {
      purpose: '核对',
      datasets: [{ dataset, fields: ['name', 'gender'] }],
      validUntil: inAYear(),
    });
    expect(applied.json().status, applied.body).toBe('granted');
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const countIn = async (provider: string) =>
    Number(
      (await t.db.pool.query<{ n: string }>('SELECT records_in AS n FROM cleansing_counts WHERE provider = $1 AND dataset = $2', [provider, dataset])).rows[0]
        ?.n ?? 0,
    );
  /** Sends records as `who` and waits until cleansing has read them (their alerts are recorded with them). */
  const land = async (who: PrincipalCredentials, records: Record<string, unknown>[]) => {
    const before = await countIn(who.name);
    await t.send(who, dataset, records);
    await t.cleansedFrom(who.name, dataset, before + records.length);
  };
  const alertsOn = async (key: string): Promise<QualityAlert[]> => {
    const res = await t.api(steward, 'GET', `/quality/alerts?key=${key}&limit=1000`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<QualityAlert[]>();
  };
  const one = async (key: string, kind: QualityAlert['kind'], field: string, status?: QualityAlert['status']) => {
    const found = (await alertsOn(key)).filter((a) => a.kind === kind && a.fields[0] === field && (status === undefined || a.status === status));
    expect(found, `${kind} on ${field} of ${key}`).toHaveLength(1);
    return found[0]!;
  };
  const act = (id: string, body: Record<string, unknown>, who: PrincipalCredentials = steward) => t.api(who, 'POST', `/quality/alerts/${id}/actions`, body);
  const corrections = async (who: PrincipalCredentials) => {
    const res = await t.api(who, 'GET', '/corrections?limit=1000');
    expect(res.statusCode, res.body).toBe(200);
    return res.json<CorrectionView[]>();
  };
  const baseName = async (key: string) =>
    (await t.db.pool.query<{ name: string }>(`SELECT name FROM "${t.db.schema}_base".natural_person WHERE _key = $1`, [key])).rows[0]?.name;

  describe('routing an alert (the provider field)', () => {
    it("a route left at its default goes to the invalid record's sender, never to the owner who did not send it", async () => {
      await land(mallory, [person(601, { updated_at: future() })]);
      const invalid = await one(keyOf(601), 'invalid', 'updated_at');
      expect(invalid.sources.map((s) => s.provider)).toEqual([mallory.name]);
      // updated_at has no authority: the contract's default would be its owner, psb, who never saw this key.
      const routed = await act(invalid.id, { action: 'route', reason: '请核实更新时间' });
      expect(routed.statusCode, routed.body).toBe(200);
      expect(routed.json<{ correction: CorrectionView }>().correction).toMatchObject({ provider: mallory.name, key: keyOf(601), alertId: invalid.id });
      expect(JSON.stringify(await corrections(psb))).not.toContain(keyOf(601));
      expect((await corrections(mallory)).map((c) => c.key)).toContain(keyOf(601));
    });

    it("naming a department that is not one of the alert's sources is refused, and nothing is created", async () => {
      await land(mallory, [person(602, { phone: '123' })]);
      const warning = await one(keyOf(602), 'warning', 'phone');
      for (const provider of [psb.name, mca.name, 'nobody-here']) {
        const refused = await act(warning.id, { action: 'route', reason: '请核实电话', provider });
        expect(refused.statusCode, refused.body).toBe(400);
      }
      expect((await one(keyOf(602), 'warning', 'phone')).status).toBe('open');
      const all = await corrections(authority);
      expect(all.filter((c) => c.key === keyOf(602))).toEqual([]);
      // A provider name that is no name at all is refused by the schema.
      expect((await act(warning.id, { action: 'route', reason: 'x', provider: 'PSB; DROP' })).statusCode).toBe(400);
    });

    it('a conflict between two providers without authority is not routed by default to an owner outside it', async () => {
      // mallory fills person 603 first (provisional); mca disagrees on the phone: no authority for phone, psb owns the dataset.
      await land(mallory, [person(603)]);
      await land(mca, [person(603, { phone: '13905519999' })]);
      const conflict = await one(keyOf(603), 'conflict', 'phone');
      expect(conflict.sources.map((s) => s.provider).sort()).toEqual([mallory.name, mca.name].sort());
      const byDefault = await act(conflict.id, { action: 'route', reason: '请核实电话' });
      expect(byDefault.statusCode, byDefault.body).toBe(400);
      expect(JSON.stringify(await corrections(psb))).not.toContain(keyOf(603));
      const named = await act(conflict.id, { action: 'route', reason: '请核实电话', provider: mca.name });
      expect(named.statusCode, named.body).toBe(200);
      expect(named.json<{ correction: CorrectionView }>().correction.provider).toBe(mca.name);
    });

    it('bulk routing to one provider applies only where that provider is a source; the correction carries no value', async () => {
      await land(psb, [person(604)]);
      await land(mallory, [person(604, { name: '错名六零四' }), person(605, { updated_at: future() })]);
      const conflict = await one(keyOf(604), 'conflict', 'name');
      const invalid = await one(keyOf(605), 'invalid', 'updated_at');
      const res = await t.api(steward, 'POST', '/quality/alerts/bulk', {
        action: 'route',
        reason: '批量转交公安',
        provider: psb.name,
        ids: [conflict.id, invalid.id],
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ applied: number; failed: { id: string; code: string }[] }>();
      expect(body.applied).toBe(1);
      expect(body.failed).toEqual([expect.objectContaining({ id: invalid.id, code: 'HUB_ERR_VALIDATION' })]);
      const psbSees = JSON.stringify(await corrections(psb));
      expect(psbSees).toContain(keyOf(604));
      expect(psbSees).not.toContain(keyOf(605));
      // psb hears of the disagreement, not of mallory's value.
      expect(psbSees).not.toContain('错名六零四');
      // Routed, the conflict shows in mallory's own list with psb's value redacted.
      const own = (await t.api(mallory, 'GET', `/quality/alerts?key=${keyOf(604)}`)).json<QualityAlert[]>();
      const shown = own.find((a) => a.id === conflict.id)!;
      expect(shown.status).toBe('routed');
      expect(JSON.stringify(shown)).not.toContain('居民604');
    });
  });

  describe('correction requests', () => {
    it("another department's request answers exactly as a missing one, before and after it is verified", async () => {
      const res = await t.api(consumer, 'POST', '/corrections', { dataset, key: keyOf(610), fields: ['name'], description: '姓名错字' });
      expect(res.statusCode, res.body).toBe(201);
      const c = res.json<CorrectionView>();
      expect(c.provider).toBe(psb.name);
      const ghost = randomUUID();
      const shape = async (who: PrincipalCredentials, id: string, how: 'get' | 'verify') => {
        const r =
          how === 'get'
            ? await t.api(who, 'GET', `/corrections/${id}`)
            : await t.api(who, 'POST', `/corrections/${id}/verification`, { decision: 'rejected', note: '无误' });
        return { status: r.statusCode, body: r.body.replaceAll(id, '<id>') };
      };
      const same = async () => {
        for (const who of [mallory, mca]) {
          for (const how of ['get', 'verify'] as const) {
            const real = await shape(who, c.id, how);
            expect(real.status).toBe(404);
            expect(real).toEqual(await shape(who, ghost, how));
          }
        }
      };
      await same();
      expect((await t.api(psb, 'POST', `/corrections/${c.id}/verification`, { decision: 'confirmed', note: '确有错误' })).statusCode).toBe(200);
      // Confirmed: still 404 for others (no 409 that would say "it exists and was answered").
      await same();
      expect((await t.api(psb, 'POST', `/corrections/${c.id}/verification`, { decision: 'rejected', note: '再次' })).statusCode).toBe(409);
      // The list is scoped whatever the filter; no filter names another provider.
      for (const q of ['', '?status=confirmed', '?status=open', '?escalated=false']) {
        const list = (await t.api(mallory, 'GET', `/corrections${q}`)).json<CorrectionView[]>();
        expect(list.every((x) => x.provider === mallory.name)).toBe(true);
      }
      expect((await t.api(mallory, 'GET', `/corrections?provider=${psb.name}`)).statusCode).toBe(400);
      // The reporter sees its own request; another consumer does not, and neither verifies it.
      expect((await t.api(consumer, 'GET', `/corrections/${c.id}`)).statusCode).toBe(200);
      expect((await t.api(stranger, 'GET', `/corrections/${c.id}`)).statusCode).toBe(404);
      expect((await t.api(consumer, 'POST', `/corrections/${c.id}/verification`, { decision: 'rejected', note: 'x' })).statusCode).toBe(403);
      // Garbage ids are refused by the schema, not by the database.
      for (const bad of ['not-a-uuid', '%00', "1'%20OR%20'1'='1"]) {
        expect((await t.api(mallory, 'GET', `/corrections/${bad}`)).statusCode).toBe(400);
        expect((await t.api(mallory, 'POST', `/corrections/${bad}/verification`, { decision: 'rejected', note: 'x' })).statusCode).toBe(400);
      }
    });

    it("a confirmed request closes only on its provider's own valid record: not another's, not a quarantined one, not an override", async () => {
      await land(psb, [person(620)]);
      const reported = await t.api(steward, 'POST', '/corrections', { dataset, key: keyOf(620), fields: ['name'], description: '市民异议：姓名错误' });
      expect(reported.statusCode, reported.body).toBe(201);
      const c = reported.json<CorrectionView>();
      expect(c.provider).toBe(psb.name);
      expect((await t.api(psb, 'POST', `/corrections/${c.id}/verification`, { decision: 'confirmed', note: '将更正' })).statusCode).toBe(200);
      const statusAfterSweep = async (id: string, who: PrincipalCredentials) => {
        await t.app.corrections.sweep();
        return (await t.api(who, 'GET', `/corrections/${id}`)).json<CorrectionView>().status;
      };
      // Another department lands a record for the key (and so a conflict): not psb's correction.
      await land(mallory, [person(620, { name: '居民六二零', marital_status: 'DIVORCED' })]);
      expect(await statusAfterSweep(c.id, psb)).toBe('confirmed');
      // psb's own record, but quarantined: not a correction either.
      await land(psb, [person(620, { name: '居民六二零', updated_at: future() })]);
      expect(await statusAfterSweep(c.id, psb)).toBe('confirmed');
      // The conflict routed to mallory, confirmed by it; a steward then accepts mallory's value (a row naming mallory): not mallory's record.
      const conflict = await one(keyOf(620), 'conflict', 'name');
      const routed = await act(conflict.id, { action: 'route', reason: '请民政核实', provider: mallory.name });
      expect(routed.statusCode, routed.body).toBe(200);
      const cm = routed.json<{ correction: CorrectionView }>().correction;
      expect((await t.api(mallory, 'POST', `/corrections/${cm.id}/verification`, { decision: 'confirmed', note: '核实' })).statusCode).toBe(200);
      expect((await act(conflict.id, { action: 'reopen', reason: '改为直接采纳' })).statusCode).toBe(200);
      const accepted = await act(conflict.id, { action: 'accept', reason: '现场核验' });
      expect(accepted.statusCode, accepted.body).toBe(200);
      expect(await baseName(keyOf(620))).toBe('居民六二零');
      expect(await statusAfterSweep(cm.id, mallory)).toBe('confirmed');
      expect(await statusAfterSweep(c.id, psb)).toBe('confirmed');
      // psb's valid corrected record closes psb's request, with psb's own source.
      await land(psb, [person(620, { name: '居民陆贰零' })]);
      const closed = await waitFor(
        async () => {
          await t.app.corrections.sweep();
          return (await t.api(psb, 'GET', `/corrections/${c.id}`)).json<CorrectionView>();
        },
        (x) => x.status === 'corrected',
      );
      expect(closed.correctedSource).toMatchObject({ topic: expect.stringContaining(`.${psb.name}.`) });
      expect(await statusAfterSweep(cm.id, mallory)).toBe('confirmed');
    });

    it('a consumer reports only what an active, unexpired grant delivers, and learns nothing of whether the key exists', async () => {
      const report = (who: PrincipalCredentials, body: Record<string, unknown>) =>
        t.api(who, 'POST', '/corrections', { dataset, key: keyOf(640), fields: ['name'], description: '姓名错误', ...body });
      expect((await report(consumer, { fields: ['phone'] })).statusCode).toBe(403);
      expect((await report(consumer, { fields: ['name', 'phone'] })).statusCode).toBe(403);
      expect((await report(consumer, { dataset: 'base.legal_entity', fields: ['name'] })).statusCode).toBe(403);
      expect((await report(stranger, {})).statusCode).toBe(403);
      expect((await report(mallory, {})).statusCode).toBe(403);
      // A key psb landed and a key nobody ever sent answer the same.
      await land(psb, [person(640)]);
      const norm = (r: CorrectionView) => {
        const { id: _i, key: _k, createdAt: _c, verifyDueAt: _v, correctDueAt: _d, ...rest } = r;
        return rest;
      };
      const real = await report(consumer, {});
      const none = await report(consumer, { key: keyOf(699) });
      expect([real.statusCode, none.statusCode]).toEqual([201, 201]);
      expect(norm(real.json<CorrectionView>())).toEqual(norm(none.json<CorrectionView>()));
      // A grant past its expiry, before the expiry timer ends it: no longer a grant to report under.
      const lapsed = await t.principal('consumer');
      const app = await t.api(lapsed, 'POST', '/applications', { purpose: '核对', datasets: [{ dataset, fields: ['name'] }], validUntil: inAYear() });
      expect(app.json().status, app.body).toBe('granted');
      expect((await report(lapsed, {})).statusCode).toBe(201);
      await t.db.pool.query(`UPDATE grants SET expires_at = now() - interval '1 minute' WHERE id = $1`, [app.json().grantId]);
      expect((await report(lapsed, {})).statusCode).toBe(403);
      // A revoked grant: refused, and gone from the consumer's grant list.
      const revoked = await t.principal('consumer');
      const app2 = await t.api(revoked, 'POST', '/applications', { purpose: '核对', datasets: [{ dataset, fields: ['name'] }], validUntil: inAYear() });
      expect(app2.json().status, app2.body).toBe('granted');
      const ended = await t.api(authority, 'POST', `/applications/${app2.json().id}/end`, { action: 'revoke', note: '超范围使用' });
      expect(ended.statusCode, ended.body).toBe(200);
      expect((await report(revoked, {})).statusCode).toBe(403);
      expect((await t.api(revoked, 'GET', '/grants')).json()).toEqual([]);
    });

    it('the grant list is each consumer its own, and no department reads it', async () => {
      expect((await t.api(mallory, 'GET', '/grants')).statusCode).toBe(403);
      expect((await t.api(steward, 'GET', '/grants')).statusCode).toBe(403);
      const mine = (await t.api(consumer, 'GET', '/grants')).json<{ consumer: string }[]>();
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((g) => g.consumer === consumer.name)).toBe(true);
      expect((await t.api(stranger, 'GET', '/grants')).json()).toEqual([]);
      expect((await t.api(authority, 'GET', '/grants')).json<{ consumer: string }[]>().map((g) => g.consumer)).toContain(consumer.name);
    });
  });

  describe('scorecards', () => {
    it("a department's own scorecard is no oracle of another provider's values", async () => {
      type Report = { rows: Scorecard[] };
      const mine = async () => {
        const res = await t.api(mallory, 'GET', '/scorecards');
        expect(res.statusCode, res.body).toBe(200);
        const rows = res.json<Report>().rows;
        expect(rows.map((r) => r.department)).toEqual([mallory.name]);
        return rows[0]!.conflicts;
      };
      const asAuthority = async () => (await t.api(authority, 'GET', '/scorecards')).json<Report>().rows.find((r) => r.department === mallory.name)!.conflicts;
      await land(psb, [person(630), person(631)]);
      const before = await mine();
      const seenBefore = await asAuthority();
      // A wrong guess of psb's name, the right one, and a key psb never sent.
      await land(mallory, [person(630, { name: '猜错了' })]);
      const afterWrong = await mine();
      await land(mallory, [person(631)]);
      const afterRight = await mine();
      await land(mallory, [person(639, { name: '猜一猜' })]);
      const afterNone = await mine();
      expect([afterWrong, afterRight, afterNone]).toEqual([before, before, before]);
      // The steward's view counts the lost conflict.
      expect(await asAuthority()).toBe(seenBefore + 1);
      // Once a steward routes it, the department sees the conflict in its alerts, and its scorecard counts it.
      const conflict = await one(keyOf(630), 'conflict', 'name');
      expect((await act(conflict.id, { action: 'route', reason: '请民政核实', provider: mallory.name })).statusCode).toBe(200);
      expect(await mine()).toBe(before + 1);
      // The CSV: its own row only; no other department's name; no filter for another department.
      const csv = await t.api(mallory, 'GET', '/scorecards?format=csv');
      expect(csv.statusCode).toBe(200);
      const lines = csv.body.split('\r\n').filter(Boolean);
      expect(lines).toHaveLength(2);
      expect(lines[1]!.startsWith(`${mallory.name},`)).toBe(true);
      for (const other of [psb.name, mca.name]) expect(csv.body).not.toContain(other);
      expect((await t.api(mallory, 'GET', `/scorecards?department=${psb.name}`)).statusCode).toBe(400);
      expect((await t.api(consumer, 'GET', '/scorecards')).statusCode).toBe(403);
    });

    it('the CSV neutralises formulas, and no department name could start one', () => {
      const row = (department: string): Scorecard => ({ ...emptyScorecard(department), recordsProvided: 3, datasets: 1, datasetsFresh: 1 });
      const evil = ['=HYPERLINK("http://x","y")', '+1+1', '-1+cmd|/C calc!A0', '@SUM(A1)'];
      const report: ScorecardReport = { period: '2026-01', from: '', to: '', firstDay: '', lastDay: '', rows: evil.map(row) };
      const lines = scorecardCsv(report).split('\r\n').slice(1).filter(Boolean);
      expect(lines).toHaveLength(evil.length);
      for (const line of lines) expect(line).toMatch(/^"?'/);
      expect(lines[0]).toBe(`"'=HYPERLINK(""http://x"",""y"")",3,1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0`);
      for (const name of [...evil, '\t=1', '\r=1', ' =1', 'A=1', '=a', '-abc', 'psb,=1']) expect(departmentNamePattern.test(name), name).toBe(false);
    });
  });

  describe('dismissal', () => {
    it('a dismissal silences only the same disagreement on the same key, never another one', async () => {
      await land(psb, [person(650), person(651)]);
      await land(mallory, [person(650, { name: '别名六五零' })]);
      const dismissed = await one(keyOf(650), 'conflict', 'name');
      expect((await act(dismissed.id, { action: 'dismiss', reason: '别名，非实质差异' })).statusCode).toBe(200);
      // The same value on the same key again (with another field changed): silenced. On gender: a new conflict.
      await land(mallory, [person(650, { name: '别名六五零', gender: person(650).gender === 'MALE' ? 'FEMALE' : 'MALE' })]);
      expect((await alertsOn(keyOf(650))).filter((a) => a.kind === 'conflict' && a.fields[0] === 'name').map((a) => a.status)).toEqual(['dismissed']);
      expect((await one(keyOf(650), 'conflict', 'gender')).status).toBe('open');
      // The same value on another key: a conflict of its own.
      await land(mallory, [person(651, { name: '别名六五零' })]);
      expect((await one(keyOf(651), 'conflict', 'name')).status).toBe('open');
      // The authority changes its value: the old dismissal does not cover the new disagreement.
      await land(psb, [person(650, { name: '居民陆伍零' })]);
      await land(mallory, [person(650, { name: '别名六五零', registration_status: 'NORMAL', marital_status: 'WIDOWED' })]);
      expect((await one(keyOf(650), 'conflict', 'name', 'open')).values.map((v) => v.value)).toEqual(['居民陆伍零', '别名六五零']);
    });

    it('the fingerprint tells apart values, their types, who sent them, and the fields', () => {
      const base = {
        kind: 'conflict' as const,
        rule: 'authoritative-source',
        fields: ['name'],
        values: [
          { provider: 'psb', field: 'name', value: 'A', authoritative: true },
          { provider: 'mallory', field: 'name', value: 'B', authoritative: false },
        ],
      };
      const print = alertFingerprint(base);
      const variants = [
        { ...base, values: [base.values[0]!, { ...base.values[1]!, value: 'C' }] },
        {
          ...base,
          values: [
            { ...base.values[0]!, value: 'B' },
            { ...base.values[1]!, value: 'A' },
          ],
        },
        { ...base, values: [base.values[0]!, { ...base.values[1]!, provider: 'mca' }] },
        { ...base, values: [base.values[0]!, { ...base.values[1]!, value: ['B'] }] },
        { ...base, fields: ['gender'] },
        { ...base, rule: 'first-source' },
        { ...base, kind: 'warning' as const },
      ];
      for (const v of variants) expect(alertFingerprint(v)).not.toBe(print);
      const typed = { ...base, values: [base.values[0]!, { ...base.values[1]!, value: 1 }] };
      expect(alertFingerprint(typed)).not.toBe(alertFingerprint({ ...base, values: [base.values[0]!, { ...base.values[1]!, value: '1' }] }));
      // The order of the values is not a difference.
      expect(alertFingerprint({ ...base, values: [...base.values].reverse() })).toBe(print);
    });
  });

  describe('accepting the other value (override)', () => {
    it('only for a conflict, only with a value that still stands on both sides, never a value from the request', async () => {
      await land(psb, [person(660), person(661)]);
      await land(mallory, [person(662, { updated_at: future() }), person(663, { phone: '123' })]);
      for (const [n, kind, f] of [
        [662, 'invalid', 'updated_at'],
        [663, 'warning', 'phone'],
      ] as const) {
        const a = await one(keyOf(n), kind, f);
        const refused = await act(a.id, { action: 'accept', reason: '采纳' });
        expect(refused.statusCode, refused.body).toBe(409);
        expect((await one(keyOf(n), kind, f)).status).toBe('open');
      }
      // The request cannot carry a value of its own.
      await land(mallory, [person(660, { name: '旧名六六零' })]);
      const stale = await one(keyOf(660), 'conflict', 'name');
      expect((await act(stale.id, { action: 'accept', reason: '采纳', value: '谁也没发过' })).statusCode).toBe(400);
      // mallory replaces its value: the older alert's value is one mallory no longer sends.
      await land(mallory, [person(660, { name: '新名六六零' })]);
      const fresh = (await alertsOn(keyOf(660))).find((a) => a.kind === 'conflict' && a.fields[0] === 'name' && a.id !== stale.id)!;
      expect(fresh.values[1]!.value).toBe('新名六六零');
      const refused = await act(stale.id, { action: 'accept', reason: '采纳旧值' });
      expect(refused.statusCode, refused.body).toBe(409);
      expect(await baseName(keyOf(660))).toBe('居民660');
      const ok = await act(fresh.id, { action: 'accept', reason: '采纳新值' });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(await baseName(keyOf(660))).toBe('新名六六零');
      // The kept value changed since: refused.
      await land(mallory, [person(661, { name: '别名六六一' })]);
      const changed = await one(keyOf(661), 'conflict', 'name');
      await land(psb, [person(661, { name: '居民陆陆壹' })]);
      expect((await act(changed.id, { action: 'accept', reason: '采纳' })).statusCode).toBe(409);
      expect(await baseName(keyOf(661))).toBe('居民陆陆壹');
      // A department cannot decide at all.
      expect((await act(changed.id, { action: 'accept', reason: 'mine' }, mallory)).statusCode).toBe(403);
    });
  });

  describe('the queue, the detail and the stream', () => {
    it('a forged keyset cursor is a 400 with one message, never a 500', async () => {
      const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
      const uuid = randomUUID();
      const cursors = [
        'bm90LWEtY3Vyc29y',
        '!!!',
        b64('not json'),
        b64([]),
        b64(['2026-01-01 00:00:00+00', uuid, 'x']),
        b64([1, uuid]),
        b64(['2026-01-01 00:00:00+00', '-'.repeat(36)]),
        b64(['2026-01-01 00:00:00+00', 'g'.repeat(36)]),
        b64(['2026-01-01 00:00:00+00', `${uuid.slice(0, 35)}'`]),
        b64(['1', uuid]),
        b64(['2026-02-31 00:00:00+00', uuid]),
        b64(['+275760-09-13T00:00:00.000Z', uuid]),
        b64(['Tue Jan 01 2030', uuid]),
        b64(["2026-01-01'); DROP TABLE quality_alerts; --", uuid]),
      ];
      const messages = new Set<string>();
      for (const cursor of cursors) {
        const res = await t.api(steward, 'GET', `/quality/queue?cursor=${encodeURIComponent(cursor)}`);
        expect(res.statusCode, `${cursor}: ${res.body}`).toBe(400);
        expect(res.body).not.toMatch(/quality_alerts|syntax|timestamptz|uuid/i);
        messages.add(res.json<{ message: string }>().message);
      }
      expect([...messages]).toEqual(['cursor: not a cursor this queue handed out']);
      expect((await t.api(steward, 'GET', `/quality/queue?cursor=${'a'.repeat(201)}`)).statusCode).toBe(400);
      // A well-formed cursor of the queue's own shape still pages.
      expect((await t.api(steward, 'GET', `/quality/queue?cursor=${b64(['2999-01-01 00:00:00+00', uuid])}`)).statusCode).toBe(200);
    });

    it('departments, consumers and auditors get no steward route; assigning an alert to a department gives it nothing', async () => {
      await land(psb, [person(670)]);
      await land(mallory, [person(670, { name: '错名六七零' })]);
      const conflict = await one(keyOf(670), 'conflict', 'name');
      expect((await act(conflict.id, { action: 'assign', reason: '分派', assignee: mallory.name })).statusCode).toBe(200);
      for (const who of [mallory, psb, consumer]) {
        const statuses = [
          (await t.api(who, 'GET', '/quality/queue')).statusCode,
          (await t.api(who, 'GET', '/quality/summary')).statusCode,
          (await t.api(who, 'GET', `/quality/alerts/${conflict.id}`)).statusCode,
          (await t.api(who, 'GET', '/quality/stream')).statusCode,
          (await act(conflict.id, { action: 'keep', reason: 'x' }, who)).statusCode,
          (await t.api(who, 'POST', '/quality/alerts/bulk', { action: 'dismiss', reason: 'x', filter: {} })).statusCode,
        ];
        expect(statuses, who.name).toEqual([403, 403, 403, 403, 403, 403]);
      }
      expect((await t.api(auditor, 'GET', '/quality/stream')).statusCode).toBe(403);
      expect((await act(conflict.id, { action: 'keep', reason: 'x' }, auditor)).statusCode).toBe(403);
      // The assignee's own alert list still hides the conflict its value lost, and psb's value is nowhere in it.
      const own = await t.api(mallory, 'GET', `/quality/alerts?key=${keyOf(670)}`);
      expect(own.json<QualityAlert[]>().map((a) => a.id)).not.toContain(conflict.id);
      expect(own.body).not.toContain('居民670');
      expect((await t.api(steward, 'GET', `/quality/alerts/${randomUUID()}`)).statusCode).toBe(404);
      expect((await t.api(steward, 'GET', '/quality/alerts/%00')).statusCode).toBe(400);
    });

    it('the stream keeps its framing whatever a department sends, and shrugs off a garbage Last-Event-ID', async () => {
      const since = new Date(Date.now() - 1000).toISOString();
      await land(psb, [person(680)]);
      const forged = 'x\n\nid: 2999\nevent: alert\ndata: {"forged":1}\r\n';
      await land(mallory, [person(680, { name: forged })]);
      const res = await t.app.inject({ url: '/api/v1/quality/stream', headers: { ...t.auth(steward), 'last-event-id': since } });
      expect(res.statusCode).toBe(200);
      const events = res.body.split('\n\n').filter((b) => b.includes('event: alert'));
      expect(events.length).toBeGreaterThan(0);
      for (const block of events) {
        const lines = block.split('\n');
        expect(lines.map((l) => l.split(':')[0])).toEqual(['event', 'data']);
        expect(() => JSON.parse(lines[1]!.slice(6))).not.toThrow();
      }
      // Ids travel on lines of their own, and are the stream's own times.
      for (const [, id] of res.body.matchAll(/^id: (.*)$/gm)) expect(Number.isNaN(Date.parse(id!))).toBe(false);
      expect(res.body).not.toMatch(/^data: \{"forged"/m);
      expect(res.body).not.toMatch(/^id: 2999/m);
      expect(events.some((b) => b.includes(keyOf(680)))).toBe(true);
      for (const id of ['garbage', '1', '+275760-09-13T00:00:00.000Z', "'; DROP TABLE x; --"]) {
        const r = await t.app.inject({ url: '/api/v1/quality/stream', headers: { ...t.auth(steward), 'last-event-id': id } });
        expect(r.statusCode, id).toBe(200);
        expect(r.headers['content-type']).toMatch(/text\/event-stream/);
      }
      const long = await t.app.inject({ url: '/api/v1/quality/stream', headers: { ...t.auth(steward), 'last-event-id': 'x'.repeat(41) } });
      expect(long.statusCode).toBe(400);
    });
  });

  describe('the console', () => {
    it('serves nothing outside public/, however the path is spelled', async () => {
      const urls = [
        '/console/../package.json',
        '/console/%2e%2e/%2e%2e/%2e%2e/package.json',
        '/console/%2e%2e%2fplugin.ts',
        '/console/%252e%252e/plugin.ts',
        '/console/..%5cplugin.ts',
        '/console/.%2e/README.md',
        '/console/vendor/..%2f..%2fplugin.ts',
        '/console/vendor/%2e%2e/%2e%2e/plugin.ts',
        '/console/vendor/echarts.min.js/../../plugin.ts',
        '/console//etc/passwd',
        '/console/%2fetc%2fpasswd',
        '/console/app.js%00.html',
        '/console/public/app.js',
        '/console/.env',
      ];
      for (const url of urls) {
        const res = await t.app.inject(url);
        expect(res.body, url).not.toMatch(/consolePlugin|gov-data-hub|root:x:0|^# console/);
        if (res.statusCode === 200) expect(res.headers['content-security-policy'], url).toBe(consoleCsp);
        else expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      }
    });

    it('holds a strict CSP on every file, and the script writes data only as text', async () => {
      const directives = new Map(
        consoleCsp
          .split(';')
          .map((d) => d.trim().split(/\s+/) as [string, ...string[]])
          .map(([k, ...v]) => [k, v]),
      );
      expect(directives.get('script-src')).toEqual(["'self'"]);
      expect(directives.get('default-src')).toEqual(["'self'"]);
      expect(directives.get('connect-src')).toEqual(["'self'"]);
      expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
      expect(consoleCsp).not.toMatch(/unsafe-eval|\*|http/);
      for (const url of ['/console/', '/console/index.html', '/console/app.js', '/console/style.css', '/console/vendor/echarts.min.js']) {
        const res = await t.app.inject(url);
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['content-security-policy'], url).toBe(consoleCsp);
        expect(res.headers['x-content-type-options'], url).toBe('nosniff');
        expect(res.headers['access-control-allow-origin'], url).toBeUndefined();
      }
      const script = await readFile(new URL('../../services/console/public/app.js', import.meta.url), 'utf8');
      expect(script).not.toMatch(/\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|localStorage/);
      const html = await readFile(new URL('../../services/console/public/index.html', import.meta.url), 'utf8');
      // No inline script: every <script> has a src.
      expect([...html.matchAll(/<script\b([^>]*)>/g)].every((m) => /\bsrc="\/console\//.test(m[1]!))).toBe(true);
      expect(html).not.toMatch(/\son[a-z]+=/i);
    });
  });
});
