import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from '../platform/db/pool.ts';
import type { AuditLog } from '../audit/log.ts';
import { grantAcls } from './grant-service.ts';
import type { Logger } from '../platform/logger.ts';
import type { Principal } from '../principals/types.ts';
import type { CatalogService } from '../catalog/service.ts';
import type { ShareType } from '../catalog/entry.ts';
import { deadlineInstant, jurisdictions, type JurisdictionId, type JurisdictionProfile } from '../platform/calendar/jurisdictions.ts';
import { withTransaction } from '../platform/db/pool.ts';
import { HubError } from '../platform/errors.ts';
import { authorityDecider, type Application, type ApplicationStore, type DatasetRequest, type IntendedUse, type Scenario } from './application-store.ts';
import type { VerificationGrantStore } from './verification-grants.ts';
import type { Contract } from '../catalog/contracts.ts';

/** What the workflow needs from the grant service (share topics and ACLs). */
export interface Grants {
  activate(spec: { id: string; consumer: string; datasets: DatasetRequest[]; expiresAt: Date; purpose: string }): Promise<unknown>;
  revoke(grantId: string, reason: 'expired' | 'revoked' | 'suspended'): Promise<void>;
}

export interface ApplicationInput {
  purpose: string;
  datasets: DatasetRequest[];
  validUntil: string;
  validFrom?: string;
  confidentialityRef?: string;
  scenarioId?: string;
  /** subscription (default): records on share topics; verification: match/mismatch answers only. */
  use?: IntendedUse;
}

export type ScenarioInput = Omit<Scenario, 'createdAt' | 'createdBy' | 'use'> & { use?: IntendedUse };

export interface SharingService {
  defineScenario(input: ScenarioInput, by: Principal): Promise<Scenario>;
  submit(input: ApplicationInput, by: Principal): Promise<Application>;
  decide(id: string, decision: { approve: boolean; reason?: string; basis?: string }, by: Principal): Promise<Application>;
  /** Where the authority decides after consulting the provider (会商): the provider's opinion, recorded as a step. */
  consult(id: string, opinion: { agree: boolean; note: string }, by: Principal): Promise<Application>;
  end(id: string, reason: 'revoked' | 'suspended', note: string, by: Principal): Promise<Application>;
  /** Fires every timer due at `now` (deadlines, silence, expiry); returns how many fired here. */
  fireDue(now?: Date): Promise<number>;
  /** Applications by consumer, provider or status (for consoles and scorecards). */
  applications(filter: { consumer?: string; provider?: string; status?: string }): Promise<Application[]>;
}

const strictness: Record<ShareType, number> = { unconditional: 0, conditional: 1, not_shared: 2 };
const dayMs = 86_400_000;

interface Share {
  shareType: ShareType;
  contract: Contract;
  fields: Set<string>;
}

/**
 * Scenario-based sharing (Hefei 16, Quanzhou 2(2), Zhongshan 19): unconditional data within the
 * contract's fields, or a request that fits a scenario, is granted at once; conditional data goes to
 * the authoritative provider of each requested field (or, where the jurisdiction says so, to the
 * authority, who consults them), who answer within the jurisdiction's period, silence meaning what
 * the profile says; not-shared data is only ever granted for verification. Every step is recorded.
 */
export function createSharingService({
  pool,
  store,
  catalog,
  grants,
  verificationGrants,
  profile,
  log,
  audit,
  instance = `hub-${process.pid}`,
  timerLeaseMs = 300_000,
}: {
  pool: Pool;
  audit?: AuditLog;
  store: ApplicationStore;
  catalog: CatalogService;
  grants: Grants;
  verificationGrants: VerificationGrantStore;
  profile: JurisdictionProfile;
  log: Logger;
  instance?: string;
  /** How long a claimed timer is left to the instance that claimed it before another may fire it (ms). */
  timerLeaseMs?: number;
}): SharingService {
  const logger = log.child({ module: 'sharing' });

  /** A step of an application, also written to the audit trail: who, purpose, approver, what data, when, how. */
  async function step(
    db: Pool | PoolClient,
    app: { id: string; consumer: string; purpose: string; datasets: DatasetRequest[]; provider: string | null },
    actor: string,
    action: string,
    detail: Record<string, unknown> = {},
  ): Promise<void> {
    await store.step(db, app.id, actor, action, detail);
    await audit?.append(db, {
      actor,
      actorRole: actor === 'hub' ? 'service' : actor === app.consumer ? 'consumer' : 'decider',
      action: `application.${action.replaceAll('-', '_')}`,
      method: 'api',
      purpose: app.purpose,
      approver: action === 'granted' || action === 'approved' || action === 'refused' ? actor : null,
      subjectProvider: app.provider,
      datasets: app.datasets.map((d) => d.dataset),
      fields: [...new Set(app.datasets.flatMap((d) => d.fields))],
      detail: { application: app.id, consumer: app.consumer, ...detail },
    });
  }

  async function shareOf(request: DatasetRequest): Promise<Share> {
    const { entries } = await catalog.search({ dataset: request.dataset, limit: 500, offset: 0 });
    if (entries.length === 0) throw new HubError('HUB_ERR_NOT_FOUND', `no catalog entry provides ${request.dataset}`);
    const contract = await catalog.contract(request.dataset);
    const fields = new Set((await catalog.contractOf(request.dataset)).fields.map((f) => f.name));
    const unknown = request.fields.filter((f) => !fields.has(f));
    if (unknown.length > 0) throw new HubError('HUB_ERR_VALIDATION', `${request.dataset} has no fields ${unknown.join(', ')}`);
    // The terms of those who answer for the requested fields hold (the strictest of them): a
    // co-provider without authority cannot make another's data unshareable.
    const answerable = new Set([contract.owner, ...request.fields.map((f) => contract.authorities[f] ?? contract.owner)]);
    const shareType = entries
      .filter((e) => answerable.has(e.provider))
      .map((e) => e.shareType)
      .reduce((a, b) => (strictness[b] > strictness[a] ? b : a), 'unconditional' as ShareType);
    return { shareType, contract, fields };
  }

  /** Each requested field is decided by its authoritative provider (the contract's owner where none is named). */
  function decidersOf(requests: readonly DatasetRequest[], shares: readonly Share[]): { decider: string; fields: string[] }[] {
    const byDecider = new Map<string, string[]>();
    requests.forEach((r, i) => {
      const share = shares[i]!;
      if (share.shareType === 'unconditional') return;
      for (const f of r.fields) {
        const decider = share.contract.authorities[f] ?? share.contract.owner;
        byDecider.set(decider, [...(byDecider.get(decider) ?? []), `${r.dataset}.${f}`]);
      }
    });
    return [...byDecider].map(([decider, fields]) => ({ decider, fields })).sort((a, b) => a.decider.localeCompare(b.decider));
  }

  function fits(scenario: Scenario, input: ApplicationInput, use: IntendedUse, by: Principal, days: number): boolean {
    if (!scenario.allowedRoles.includes(by.role) || days > scenario.maxValidityDays || scenario.use !== use) return false;
    return input.datasets.every((d) => scenario.datasets.some((s) => s.dataset === d.dataset && d.fields.every((f) => s.fields.includes(f))));
  }

  async function grant(app: Application, actor: string, how: string): Promise<Application> {
    const grantId = `g-${app.id.slice(4)}`;
    if (app.use === 'verification') {
      await withTransaction(pool, async (client) => {
        await verificationGrants.activate(client, {
          id: grantId,
          applicationId: app.id,
          consumer: app.consumer,
          datasets: app.datasets,
          expiresAt: new Date(app.validUntil),
        });
        await store.update(client, app.id, { status: 'granted', decidedBy: actor, grantId });
        await step(client, app, actor, 'granted', { how, grantId, use: 'verification' });
        await store.schedule(client, 'grant-expires', app.id, new Date(app.validUntil));
      });
    } else {
      await grants.activate({ id: grantId, consumer: app.consumer, datasets: app.datasets, expiresAt: new Date(app.validUntil), purpose: app.purpose });
      await withTransaction(pool, async (client) => {
        await store.update(client, app.id, { status: 'granted', decidedBy: actor, grantId });
        await step(client, app, actor, 'granted', {
          how,
          grantId,
          aclsCreated: grantAcls(
            grantId,
            app.consumer,
            app.datasets.map((d) => d.dataset),
          ),
        });
        await store.schedule(client, 'grant-expires', app.id, new Date(app.validUntil));
      });
    }
    logger.info({ application: app.id, grant: grantId, how, use: app.use }, 'application granted');
    return (await store.byId(pool, app.id))!;
  }

  async function endGrant(app: Application, reason: 'expired' | 'revoked' | 'suspended'): Promise<Record<string, unknown>> {
    if (app.use === 'verification') {
      await verificationGrants.end(pool, app.grantId!, reason);
      return { grantId: app.grantId, use: 'verification' };
    }
    await grants.revoke(app.grantId!, reason);
    return {
      grantId: app.grantId,
      aclsDeleted: grantAcls(
        app.grantId!,
        app.consumer,
        app.datasets.map((d) => d.dataset),
      ),
    };
  }

  const service: SharingService = {
    async defineScenario(input, by) {
      if (!/^[a-z0-9][a-z0-9-]{1,60}$/.test(input.id)) throw new HubError('HUB_ERR_VALIDATION', 'scenario id must be 2-61 lower-case letters, digits or "-"');
      const use = input.use ?? 'subscription';
      for (const d of input.datasets) {
        const share = await shareOf(d);
        if (share.shareType === 'not_shared' && use !== 'verification') {
          throw new HubError('HUB_ERR_UNPROCESSABLE', `${d.dataset} is not shared: a scenario can only grant its verification (use "verification")`);
        }
      }
      try {
        const scenario = await store.insertScenario({ ...input, use, createdBy: by.name });
        await audit?.append(pool, {
          actor: by.name,
          actorRole: by.role,
          action: 'scenario.defined',
          method: 'api',
          purpose: input.purpose,
          datasets: input.datasets.map((d) => d.dataset),
          fields: [...new Set(input.datasets.flatMap((d) => d.fields))],
          detail: { scenario: input.id, use, allowedRoles: input.allowedRoles, maxValidityDays: input.maxValidityDays, legalBasis: input.legalBasis },
        });
        return scenario;
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new HubError('HUB_ERR_CONFLICT', `scenario ${input.id} exists`);
        throw err;
      }
    },

    async submit(input, by) {
      const use = input.use ?? 'subscription';
      const from = input.validFrom ? new Date(input.validFrom) : new Date();
      const until = new Date(input.validUntil);
      if (Number.isNaN(from.getTime()) || Number.isNaN(until.getTime()) || until <= from)
        throw new HubError('HUB_ERR_VALIDATION', 'validUntil must be a time after validFrom (ISO-8601)');
      if (until.getTime() < Date.now()) throw new HubError('HUB_ERR_VALIDATION', 'validUntil is in the past');
      if (new Set(input.datasets.map((d) => d.dataset)).size !== input.datasets.length) throw new HubError('HUB_ERR_VALIDATION', 'name each dataset once');
      const shares = await Promise.all(input.datasets.map(shareOf));
      const notShared = input.datasets.filter((_, i) => shares[i]!.shareType === 'not_shared');
      if (notShared.length > 0 && use !== 'verification') {
        throw new HubError(
          'HUB_ERR_UNPROCESSABLE',
          `${notShared.map((d) => d.dataset).join(', ')} is not shared: it can only be verified, never delivered; apply with "use": "verification" (Quanzhou 5(4), Zhongshan 22)`,
        );
      }
      const days = Math.ceil((until.getTime() - from.getTime()) / dayMs);
      const scenarios = await store.scenarios();
      const scenario = input.scenarioId ? scenarios.find((s) => s.id === input.scenarioId) : scenarios.find((s) => fits(s, input, use, by, days));
      if (input.scenarioId && !scenario) throw new HubError('HUB_ERR_NOT_FOUND', `no scenario ${input.scenarioId}`);
      const scenarioFits = scenario ? fits(scenario, input, use, by, days) : false;
      if (input.scenarioId && !scenarioFits)
        throw new HubError(
          'HUB_ERR_UNPROCESSABLE',
          `the request does not fit scenario ${input.scenarioId}: datasets, fields, use, role or validity (${scenario?.maxValidityDays} days at most) exceed it`,
        );
      const providerDeciders = scenarioFits ? [] : decidersOf(input.datasets, shares);
      const pending = providerDeciders.length > 0;
      if (pending && !input.confidentialityRef?.trim()) {
        throw new HubError('HUB_ERR_UNPROCESSABLE', 'conditional data needs a confidentiality agreement on record: send confidentialityRef (Fuzhou art. 31)');
      }
      const byAuthority = profile.application.decidedBy === 'authority-consulting-provider';
      const deciders = byAuthority && pending ? [{ decider: authorityDecider, fields: providerDeciders.flatMap((d) => d.fields) }] : providerDeciders;
      const id = `app-${randomBytes(6).toString('hex')}`;
      const answerDue = pending ? deadlineInstant(profile.application.answer, new Date()) : null;
      const soleProvider = providerDeciders.length === 1 ? providerDeciders[0]!.decider : null;
      const appRef = { id, consumer: by.name, purpose: input.purpose, datasets: input.datasets, provider: soleProvider };
      await withTransaction(pool, async (client) => {
        await store.insert(client, {
          id,
          consumer: by.name,
          purpose: input.purpose,
          datasets: input.datasets,
          use,
          validFrom: from.toISOString(),
          validUntil: until.toISOString(),
          confidentialityRef: input.confidentialityRef ?? null,
          scenarioId: scenarioFits ? scenario!.id : null,
          status: pending ? 'pending-provider' : 'granted',
          provider: soleProvider,
          jurisdiction: profile.id,
          answerDue: answerDue?.toISOString() ?? null,
        });
        await step(client, appRef, by.name, 'submitted', { scenario: scenarioFits ? scenario!.id : null, use });
        if (pending) {
          await store.insertDecisions(client, id, deciders);
          if (byAuthority) {
            await step(client, appRef, 'hub', 'sent-to-authority', {
              answerDue: answerDue!.toISOString(),
              consult: providerDeciders,
              basis: profile.application.basis,
            });
          } else {
            await step(client, appRef, 'hub', 'sent-to-provider', { answerDue: answerDue!.toISOString(), deciders, basis: profile.application.basis });
          }
          await store.schedule(client, 'answer-due', id, answerDue!);
        }
      });
      const app = (await store.byId(pool, id))!;
      if (pending) return app;
      return grant(app, 'hub', scenarioFits ? `fits scenario ${scenario!.id}` : "unconditional data within the contract's fields");
    },

    async decide(id, { approve, reason, basis }, by) {
      const app = await store.byId(pool, id);
      if (!app) throw new HubError('HUB_ERR_NOT_FOUND', `no application ${id}`);
      if (app.status !== 'pending-provider' && app.status !== 'escalated')
        throw new HubError('HUB_ERR_CONFLICT', `application ${id} is ${app.status}, not waiting for a decision`);
      if (!approve && (!reason?.trim() || !basis?.trim()))
        throw new HubError('HUB_ERR_VALIDATION', 'a refusal states its reasons and basis: send reason and basis');
      const decisions = await store.decisions(pool, id);
      // Escalated: the authority decides the whole application; otherwise each decider its own part.
      const mine =
        app.status === 'escalated'
          ? by.role === 'authority'
            ? decisions.filter((d) => d.status === 'pending')
            : []
          : decisions.filter(
              (d) => d.status === 'pending' && (by.role === 'authority' ? d.decider === authorityDecider : by.role === 'department' && d.decider === by.name),
            );
      if (mine.length === 0) {
        const deciders = decisions.map((d) => (d.decider === authorityDecider ? 'the data authority' : d.decider)).join(', ');
        if (by.role === 'department' && decisions.some((d) => d.decider === authorityDecider)) {
          throw new HubError(
            'HUB_ERR_FORBIDDEN',
            `under ${profile.application.basis} the data authority decides application ${id} after consulting the provider: send your opinion with POST /api/v1/applications/${id}/opinion`,
          );
        }
        throw new HubError(
          'HUB_ERR_FORBIDDEN',
          `only ${deciders || 'its deciders'} decide${app.status === 'escalated' ? '' : 's'} application ${id}${app.status === 'escalated' ? ' (escalated: the data authority)' : ''}: nobody decides for another's data`,
        );
      }
      const outcome = await withTransaction(pool, async (client) => {
        const locked = await store.byId(client, id, { lock: true });
        if (!locked || (locked.status !== 'pending-provider' && locked.status !== 'escalated'))
          throw new HubError('HUB_ERR_CONFLICT', `application ${id} was decided meanwhile`);
        for (const d of mine) {
          await store.decide(client, id, d.decider, { status: approve ? 'approved' : 'refused', by: by.name, reason: reason ?? null, basis: basis ?? null });
        }
        await step(client, app, by.name, approve ? 'approved' : 'refused', {
          reason: reason ?? null,
          basis: basis ?? null,
          fields: mine.flatMap((d) => d.fields),
        });
        if (!approve) {
          await store.update(client, id, { status: 'refused', decidedBy: by.name, reason: reason!, basis: basis! });
          return 'refused' as const;
        }
        const all = await store.decisions(client, id);
        return all.every((d) => d.status === 'approved') ? ('grant' as const) : ('waiting' as const);
      });
      if (outcome === 'grant')
        return grant(app, by.name, by.role === 'authority' ? 'approved by the data authority' : 'approved by the authoritative providers');
      return (await store.byId(pool, id))!;
    },

    async consult(id, { agree, note }, by) {
      const app = await store.byId(pool, id);
      if (!app) throw new HubError('HUB_ERR_NOT_FOUND', `no application ${id}`);
      const decisions = await store.decisions(pool, id);
      const asked = decisions.find((d) => d.decider === authorityDecider);
      const consulted = (
        await Promise.all(
          app.datasets.map(async (d) => {
            const c = await catalog.contract(d.dataset);
            return d.fields.some((f) => (c.authorities[f] ?? c.owner) === by.name);
          }),
        )
      ).some(Boolean);
      if (!asked || !consulted || by.role !== 'department') throw new HubError('HUB_ERR_FORBIDDEN', `${by.name} is not consulted on application ${id}`);
      if (app.status !== 'pending-provider' && app.status !== 'escalated')
        throw new HubError('HUB_ERR_CONFLICT', `application ${id} is ${app.status}, not waiting for a decision`);
      await step(pool, app, by.name, 'provider-opinion', { agree, note });
      return app;
    },

    async end(id, reason, note, by) {
      const app = await store.byId(pool, id);
      if (!app) throw new HubError('HUB_ERR_NOT_FOUND', `no application ${id}`);
      if (app.status !== 'granted' || !app.grantId) throw new HubError('HUB_ERR_CONFLICT', `application ${id} has no active grant (it is ${app.status})`);
      const detail = await endGrant(app, reason);
      await withTransaction(pool, async (client) => {
        await store.update(client, id, { status: reason, decidedBy: by.name, reason: note });
        await step(client, app, by.name, reason, { note, ...detail });
      });
      return (await store.byId(pool, id))!;
    },

    applications: (filter) => store.list(filter),
    async fireDue(now = new Date()) {
      const timers = await store.claimDue(now, instance, timerLeaseMs);
      for (const timer of timers) {
        try {
          const app = await store.byId(pool, timer.applicationId);
          if (!app) {
            await store.done(timer.id);
            continue;
          }
          if (timer.kind === 'grant-expires' && app.status === 'granted' && app.grantId) {
            const detail = await endGrant(app, 'expired');
            await withTransaction(pool, async (client) => {
              await store.update(client, app.id, { status: 'expired' });
              await step(client, app, 'hub', 'expired', detail);
            });
          } else if (timer.kind === 'answer-due' && app.status === 'pending-provider') {
            // The rules the application was filed under, whichever instance fires the timer.
            const rules = (jurisdictions[app.jurisdiction as JurisdictionId] ?? profile).application;
            const silence = rules.onSilence;
            await step(pool, app, 'hub', 'provider-silent', { rule: silence, basis: rules.basis });
            if (silence === 'consent') await grant(app, 'hub', `silence is consent (${rules.basis})`);
            else if (silence === 'authority-provides')
              await grant(app, 'authority', `the provider was silent; the data authority provides it itself (${rules.basis})`);
            else {
              await withTransaction(pool, async (client) => {
                await store.update(client, app.id, { status: 'escalated' });
                await step(client, app, 'hub', 'escalated-to-authority', {});
              });
            }
          }
          await store.done(timer.id);
        } catch (err) {
          logger.warn({ err, timer: timer.id }, 'sharing timer failed; it fires again on the next tick');
          await store.release(timer.id);
        }
      }
      return timers.length;
    },
  };
  return service;
}
