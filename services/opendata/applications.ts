import { createHash, randomBytes } from 'node:crypto';
import { HubError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import { dueDates, type JurisdictionProfile } from '../platform/calendar/jurisdictions.ts';
import type { Principal, PrincipalCredentials } from '../principals/types.ts';
import type { PrincipalService } from '../principals/service.ts';
import type { AuditEvent } from '../audit/log.ts';
import { usccProblem } from '../cleansing/rules/uscc.ts';
import type { ApplicationStore, OpenApplication, Organisation, OrganisationKind } from './application-store.ts';
import type { PortalDataset } from './service.ts';

export interface ApplicationService {
  /** An organisation registers on the portal: its principal (role applicant) and API token, shown once. */
  register(input: {
    name: string;
    uscc: string;
    kind: OrganisationKind;
    contact: string;
  }): Promise<{ organisation: Organisation; credentials: PrincipalCredentials }>;
  apply(by: Principal, input: { dataset: string; purpose: string; commercial: boolean }): Promise<OpenApplication>;
  list(by: Principal, filter: { escalated?: boolean }): Promise<OpenApplication[]>;
  decide(by: Principal, id: string, decision: { approve: boolean; reason: string; agreement?: string; validDays?: number }): Promise<OpenApplication>;
  /** The applicant's personal download key for an approved application (a new one each time; the last one works). */
  issueKey(by: Principal, id: string): Promise<{ key: string; dataset: string; validUntil: string }>;
  /** The approved, unexpired application a key opens this dataset with, or null. */
  keyAllows(key: string, dataset: string): Promise<OpenApplication | null>;
  escalateDue(): Promise<number>;
}

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');
const dayMs = 86_400_000;

export function createApplicationService({
  store,
  principals,
  visible,
  profile,
  record,
  log,
  now = () => new Date(),
}: {
  store: ApplicationStore;
  principals: PrincipalService;
  visible: (dataset: string) => Promise<PortalDataset>;
  profile: JurisdictionProfile;
  record: (event: AuditEvent) => Promise<unknown>;
  log: Logger;
  now?: () => Date;
}): ApplicationService {
  // Another organisation's application, or another owner's, answers as a missing one.
  const notFound = (id: string) => new HubError('HUB_ERR_NOT_FOUND', `no application ${id}`);
  return {
    async register({ name, uscc, kind, contact }) {
      const code = uscc.trim().toUpperCase();
      const problem = usccProblem(code);
      if (problem) throw new HubError('HUB_ERR_VALIDATION', `unified social credit code: ${problem}`, { details: [{ field: 'uscc', reason: problem }] });
      if (await store.usccTaken(code)) throw new HubError('HUB_ERR_CONFLICT', 'an organisation with this unified social credit code is already registered');
      const credentials = await principals.create({ name: `org-${code.toLowerCase()}`, role: 'applicant' });
      let organisation: Organisation;
      try {
        organisation = await store.addOrganisation({ principal: credentials.name, name: name.trim(), uscc: code, kind, contact: contact.trim() });
      } catch (err) {
        await principals.discard(credentials.name);
        throw err;
      }
      await record({
        actor: credentials.name,
        actorRole: 'applicant',
        action: 'open.organisation_registered',
        method: 'api',
        detail: { kind, name: organisation.name },
      });
      return { organisation, credentials };
    },
    async apply(by, { dataset, purpose, commercial }) {
      const organisation = await store.organisation(by.name);
      if (organisation === null) throw new HubError('HUB_ERR_FORBIDDEN', `${by.name} is not a registered organisation`);
      const shown = await visible(dataset);
      if (shown.openType !== 'on_application') throw new HubError('HUB_ERR_UNPROCESSABLE', `${dataset} opens without conditions: download it directly`);
      if (commercial) {
        throw new HubError(
          'HUB_ERR_UNPROCESSABLE',
          'data open on application is for research use, not commercial use (Quanzhou 6(4)): enterprises, universities and research institutes only',
        );
      }
      const [due] = dueDates(profile, 'open-application', now());
      const application = await store.add({ organisation: by.name, dataset, owner: shown.owner, purpose: purpose.trim(), dueAt: new Date(due!.dueAt) });
      await record({
        actor: by.name,
        actorRole: by.role,
        action: 'open.applied',
        method: 'api',
        purpose: application.purpose,
        subjectProvider: shown.owner,
        datasets: [dataset],
        detail: { application: application.id, dueAt: application.dueAt, basis: due!.basis },
      });
      return application;
    },
    list(by, { escalated }) {
      const scope = by.role === 'applicant' ? { organisation: by.name } : by.role === 'department' ? { owner: by.name } : {};
      return store.list({ ...scope, ...(escalated === undefined ? {} : { escalated }) });
    },
    async decide(by, id, { approve, reason, agreement, validDays = 30 }) {
      const application = await store.get(id);
      if (application === null || application.owner !== by.name) throw notFound(id);
      if (approve && !agreement?.trim()) {
        throw new HubError('HUB_ERR_VALIDATION', 'an approval states the use agreement (数据利用协议) the applicant is bound by', {
          details: [{ field: 'agreement', reason: 'required when approving' }],
        });
      }
      const decided = await store.decide(id, {
        approve,
        reason: reason.trim(),
        agreement: approve ? (agreement ?? '').trim() : null,
        validUntil: approve ? new Date(now().getTime() + validDays * dayMs) : null,
        by: by.name,
      });
      await record({
        actor: by.name,
        actorRole: by.role,
        action: approve ? 'open.application_approved' : 'open.application_refused',
        method: 'api',
        approver: by.name,
        purpose: decided.purpose,
        subjectProvider: by.name,
        datasets: [decided.dataset],
        detail: { application: id, organisation: decided.organisation, reason: decided.reason, validUntil: decided.validUntil },
      });
      return decided;
    },
    async issueKey(by, id) {
      const application = await store.get(id);
      if (application === null || application.organisation !== by.name) throw notFound(id);
      if (application.status !== 'approved') throw new HubError('HUB_ERR_CONFLICT', `application ${id} is ${application.status}, not approved`);
      if (application.validUntil === null || Date.parse(application.validUntil) <= now().getTime()) {
        throw new HubError('HUB_ERR_CONFLICT', `application ${id} expired on ${application.validUntil}; apply again`);
      }
      const key = `odk_${randomBytes(32).toString('base64url')}`;
      await store.setKey(id, hashKey(key));
      await record({
        actor: by.name,
        actorRole: by.role,
        action: 'open.key_issued',
        method: 'api',
        subjectProvider: application.owner,
        datasets: [application.dataset],
        detail: { application: id, validUntil: application.validUntil },
      });
      return { key, dataset: application.dataset, validUntil: application.validUntil };
    },
    keyAllows: (key, dataset) => store.byKey(hashKey(key), dataset),
    async escalateDue() {
      const escalated = await store.escalateDue(now());
      for (const a of escalated) {
        log.warn({ application: a.id, dataset: a.dataset, owner: a.owner }, 'open-data application unanswered past its deadline; escalated to the authority');
        await record({
          actor: 'hub',
          actorRole: 'service',
          action: 'open.application_escalated',
          method: 'timer',
          subjectProvider: a.owner,
          datasets: [a.dataset],
          detail: { application: a.id, dueAt: a.dueAt },
        });
      }
      return escalated.length;
    },
  };
}
