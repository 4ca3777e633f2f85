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
import type { Application, ApplicationStore, DatasetRequest, Scenario } from './application-store.ts';

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
}

export interface SharingService {
  defineScenario(input: Omit<Scenario, 'createdAt' | 'createdBy'>, by: Principal): Promise<Scenario>;
  submit(input: ApplicationInput, by: Principal): Promise<Application>;
  decide(id: string, decision: { approve: boolean; reason?: string; basis?: string }, by: Principal): Promise<Application>;
  end(id: string, reason: 'revoked' | 'suspended', note: string, by: Principal): Promise<Application>;
  /** Fires every timer due at `now` (deadlines, silence, expiry); returns how many fired here. */
  fireDue(now?: Date): Promise<number>;
}

const strictness: Record<ShareType, number> = { unconditional: 0, conditional: 1, not_shared: 2 };
const dayMs = 86_400_000;

/**
 * Scenario-based sharing (Hefei 16, Quanzhou 2(2), Zhongshan 19): unconditional data within the
 * catalog's fields, or a request that fits a scenario, is granted at once; conditional data goes to
 * its provider, who answers within the jurisdiction's period, silence meaning what the profile says;
 * not-shared data is only ever verifiable. Every step is recorded with who and when.
 */
export function createSharingService({ pool, store, catalog, grants, profile, log, audit, instance = `hub-${process.pid}` }: {
  pool: Pool;
  audit?: AuditLog;
  store: ApplicationStore;
  catalog: CatalogService;
  grants: Grants;
  profile: JurisdictionProfile;
  log: Logger;
  instance?: string;
}): SharingService {
  const logger = log.child({ module: 'sharing' });

  /** A step of an application, also written to the audit trail: who, purpose, approver, what data, when, how. */
  async function step(db: Pool | PoolClient, app: { id: string; consumer: string; purpose: string; datasets: DatasetRequest[]; provider: string | null }, actor: string, action: string, detail: Record<string, unknown> = {}): Promise<void> {
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

  async function shareOf(request: DatasetRequest): Promise<{ shareType: ShareType; provider: string; fields: Set<string> }> {
    const { entries } = await catalog.search({ dataset: request.dataset, limit: 100, offset: 0 });
    if (entries.length === 0) throw new HubError('HUB_ERR_NOT_FOUND', `no catalog entry provides ${request.dataset}`);
    const strictest = entries.reduce((a, b) => (strictness[b.shareType] > strictness[a.shareType] ? b : a));
    const fields = new Set(entries.flatMap((e) => e.fields.map((f) => f.name)));
    const unknown = request.fields.filter((f) => !fields.has(f));
    if (unknown.length > 0) throw new HubError('HUB_ERR_VALIDATION', `${request.dataset} has no fields ${unknown.join(', ')}`);
    return { shareType: strictest.shareType, provider: strictest.provider, fields };
  }

  function fits(scenario: Scenario, input: ApplicationInput, by: Principal, days: number): boolean {
    if (!scenario.allowedRoles.includes(by.role) || days > scenario.maxValidityDays) return false;
    return input.datasets.every((d) => scenario.datasets.some((s) => s.dataset === d.dataset && d.fields.every((f) => s.fields.includes(f))));
  }

  async function grant(app: Application, actor: string, how: string): Promise<Application> {
    const grantId = `g-${app.id.slice(4)}`;
    await grants.activate({ id: grantId, consumer: app.consumer, datasets: app.datasets, expiresAt: new Date(app.validUntil), purpose: app.purpose });
    await withTransaction(pool, async (client) => {
      await store.update(client, app.id, { status: 'granted', decidedBy: actor, grantId });
      await step(client, app, actor, 'granted', { how, grantId, aclsCreated: grantAcls(grantId, app.consumer, app.datasets.map((d) => d.dataset)) });
      await store.schedule(client, 'grant-expires', app.id, new Date(app.validUntil));
    });
    logger.info({ application: app.id, grant: grantId, how }, 'application granted');
    return (await store.byId(pool, app.id))!;
  }

  const service: SharingService = {
    async defineScenario(input, by) {
      if (!/^[a-z0-9][a-z0-9-]{1,60}$/.test(input.id)) throw new HubError('HUB_ERR_VALIDATION', 'scenario id must be 2-61 lower-case letters, digits or "-"');
      for (const d of input.datasets) await shareOf(d);
      try {
        return await store.insertScenario({ ...input, createdBy: by.name });
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new HubError('HUB_ERR_CONFLICT', `scenario ${input.id} exists`);
        throw err;
      }
    },

    async submit(input, by) {
      const from = input.validFrom ? new Date(input.validFrom) : new Date();
      const until = new Date(input.validUntil);
      if (Number.isNaN(from.getTime()) || Number.isNaN(until.getTime()) || until <= from) throw new HubError('HUB_ERR_VALIDATION', 'validUntil must be a time after validFrom (ISO-8601)');
      if (until.getTime() < Date.now()) throw new HubError('HUB_ERR_VALIDATION', 'validUntil is in the past');
      const shares = await Promise.all(input.datasets.map(shareOf));
      const notShared = input.datasets.filter((_, i) => shares[i]!.shareType === 'not_shared');
      if (notShared.length > 0) {
        throw new HubError('HUB_ERR_UNPROCESSABLE', `${notShared.map((d) => d.dataset).join(', ')} is not shared: it can only be verified (POST /api/v1/verify), never delivered (Quanzhou 5(4), Zhongshan 22)`);
      }
      const days = Math.ceil((until.getTime() - from.getTime()) / dayMs);
      const scenarios = await store.scenarios();
      const scenario = input.scenarioId ? scenarios.find((s) => s.id === input.scenarioId) : scenarios.find((s) => fits(s, input, by, days));
      if (input.scenarioId && !scenario) throw new HubError('HUB_ERR_NOT_FOUND', `no scenario ${input.scenarioId}`);
      const scenarioFits = scenario ? fits(scenario, input, by, days) : false;
      if (input.scenarioId && !scenarioFits) throw new HubError('HUB_ERR_UNPROCESSABLE', `the request does not fit scenario ${input.scenarioId}: datasets, fields, role or validity (${scenario?.maxValidityDays} days at most) exceed it`);
      const conditional = input.datasets.filter((_, i) => shares[i]!.shareType === 'conditional');
      const providers = [...new Set(shares.filter((s) => s.shareType === 'conditional').map((s) => s.provider))];
      if (!scenarioFits && providers.length > 1) throw new HubError('HUB_ERR_UNPROCESSABLE', `conditional data of several providers (${providers.join(', ')}): apply to each provider separately`);
      if (!scenarioFits && conditional.length > 0 && !input.confidentialityRef?.trim()) {
        throw new HubError('HUB_ERR_UNPROCESSABLE', 'conditional data needs a confidentiality agreement on record: send confidentialityRef (Fuzhou art. 31)');
      }
      const id = `app-${randomBytes(6).toString('hex')}`;
      const pending = !scenarioFits && conditional.length > 0;
      const answerDue = pending ? deadlineInstant(profile.application.answer, new Date()) : null;
      const appRef = { id, consumer: by.name, purpose: input.purpose, datasets: input.datasets, provider: pending ? providers[0]! : null };
      await withTransaction(pool, async (client) => {
        await store.insert(client, {
          id,
          consumer: by.name,
          purpose: input.purpose,
          datasets: input.datasets,
          validFrom: from.toISOString(),
          validUntil: until.toISOString(),
          confidentialityRef: input.confidentialityRef ?? null,
          scenarioId: scenarioFits ? scenario!.id : null,
          status: pending ? 'pending-provider' : 'granted',
          provider: pending ? providers[0]! : null,
          jurisdiction: profile.id,
          answerDue: answerDue?.toISOString() ?? null,
        });
        await step(client, appRef, by.name, 'submitted', { scenario: scenarioFits ? scenario!.id : null });
        if (pending) {
          await step(client, appRef, 'hub', 'sent-to-provider', { answerDue: answerDue!.toISOString(), basis: profile.application.basis });
          await store.schedule(client, 'answer-due', id, answerDue!);
        }
      });
      const app = (await store.byId(pool, id))!;
      if (pending) return app;
      return grant(app, 'hub', scenarioFits ? `fits scenario ${scenario!.id}` : 'unconditional data within the catalog fields');
    },

    async decide(id, { approve, reason, basis }, by) {
      const app = await store.byId(pool, id);
      if (!app) throw new HubError('HUB_ERR_NOT_FOUND', `no application ${id}`);
      const mayDecide = by.role === 'authority' || (by.role === 'department' && by.name === app.provider);
      if (!mayDecide) throw new HubError('HUB_ERR_FORBIDDEN', `only the provider ${app.provider ?? '(none)'} or the data authority decides application ${id}`);
      if (app.status !== 'pending-provider' && app.status !== 'escalated') throw new HubError('HUB_ERR_CONFLICT', `application ${id} is ${app.status}, not waiting for a decision`);
      if (!approve) {
        if (!reason?.trim() || !basis?.trim()) throw new HubError('HUB_ERR_VALIDATION', 'a refusal states its reasons and basis: send reason and basis');
        await withTransaction(pool, async (client) => {
          await store.update(client, id, { status: 'refused', decidedBy: by.name, reason, basis });
          await step(client, app, by.name, 'refused', { reason, basis });
        });
        return (await store.byId(pool, id))!;
      }
      await step(pool, app, by.name, 'approved', { reason: reason ?? null });
      return grant(app, by.name, 'approved by the provider');
    },

    async end(id, reason, note, by) {
      const app = await store.byId(pool, id);
      if (!app) throw new HubError('HUB_ERR_NOT_FOUND', `no application ${id}`);
      if (app.status !== 'granted' || !app.grantId) throw new HubError('HUB_ERR_CONFLICT', `application ${id} has no active grant (it is ${app.status})`);
      await grants.revoke(app.grantId, reason);
      await withTransaction(pool, async (client) => {
        await store.update(client, id, { status: reason, decidedBy: by.name, reason: note });
        await step(client, app, by.name, reason, { note, grantId: app.grantId, aclsDeleted: grantAcls(app.grantId!, app.consumer, app.datasets.map((d) => d.dataset)) });
      });
      return (await store.byId(pool, id))!;
    },

    async fireDue(now = new Date()) {
      const timers = await store.claimDue(now, instance);
      for (const timer of timers) {
        try {
          const app = await store.byId(pool, timer.applicationId);
          if (!app) continue;
          if (timer.kind === 'grant-expires' && app.status === 'granted' && app.grantId) {
            await grants.revoke(app.grantId, 'expired');
            await store.update(pool, app.id, { status: 'expired' });
            await step(pool, app, 'hub', 'expired', { grantId: app.grantId, aclsDeleted: grantAcls(app.grantId, app.consumer, app.datasets.map((d) => d.dataset)) });
          } else if (timer.kind === 'answer-due' && app.status === 'pending-provider') {
            // The rules the application was filed under, whichever instance fires the timer.
            const rules = (jurisdictions[app.jurisdiction as JurisdictionId] ?? profile).application;
            const silence = rules.onSilence;
            await step(pool, app, 'hub', 'provider-silent', { rule: silence, basis: rules.basis });
            if (silence === 'consent') await grant(app, 'hub', `silence is consent (${rules.basis})`);
            else if (silence === 'authority-provides') await grant(app, 'authority', `the provider was silent; the data authority provides it itself (${rules.basis})`);
            else {
              await store.update(pool, app.id, { status: 'escalated' });
              await step(pool, app, 'hub', 'escalated-to-authority', {});
            }
          }
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
