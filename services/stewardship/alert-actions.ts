import type { Pool, PoolClient } from '../platform/db/pool.ts';
import { HubError } from '../platform/errors.ts';
import type { Principal } from '../principals/types.ts';
import type { AuditEvent } from '../audit/log.ts';
import type { AlertDecision, AlertStatus, AlertStore, QualityAlert, QueueFilter } from '../cleansing/alerts.ts';
import type { Override } from '../cleansing/override.ts';
import type { CorrectionService, CorrectionView } from './corrections.ts';

export const alertActionNames = ['keep', 'accept', 'dismiss', 'assign', 'reopen', 'route'] as const;
export type AlertActionName = (typeof alertActionNames)[number];

export interface AlertActionInput {
  action: AlertActionName;
  reason: string;
  assignee?: string;
  /** route: which of the alert's sources answers; default the field's authoritative provider. */
  provider?: string;
}

const pending: readonly AlertStatus[] = ['open', 'acknowledged'];
const closed: readonly AlertStatus[] = ['resolved', 'dismissed', 'routed'];

export interface AlertActions {
  act(id: string, by: Principal, input: AlertActionInput): Promise<{ alert: QualityAlert; correction?: CorrectionView }>;
  bulk(
    by: Principal,
    input: AlertActionInput & { ids?: string[]; filter?: Omit<QueueFilter, 'limit' | 'cursor'> },
  ): Promise<{ applied: number; failed: { id: string; code: string; message: string }[] }>;
}

/** A steward's decisions on quality alerts; each needs a reason, is audited with the alert's new state, and sticks. */
export function createAlertActions({
  alerts,
  override,
  corrections,
  record,
  bulkLimit = 1000,
}: {
  alerts: AlertStore;
  override: Override;
  corrections: CorrectionService;
  record: (db: Pool | PoolClient, event: AuditEvent) => Promise<unknown>;
  bulkLimit?: number;
}): AlertActions {
  async function act(id: string, by: Principal, input: AlertActionInput): Promise<{ alert: QualityAlert; correction?: CorrectionView }> {
    const reason = input.reason.trim();
    if (reason === '') throw new HubError('HUB_ERR_VALIDATION', 'reason: every decision on an alert needs a reason');
    const action = { at: new Date().toISOString(), by: by.name, action: input.action, reason, ...(input.assignee ? { assignee: input.assignee } : {}) };
    let correction: CorrectionView | undefined;
    let from = pending;
    let decision: AlertDecision;
    let extra: ((client: PoolClient, alert: QualityAlert) => Promise<void>) | undefined;
    switch (input.action) {
      case 'keep':
        decision = { status: 'resolved', resolution: 'kept', action };
        break;
      case 'accept':
        decision = { status: 'resolved', resolution: 'accepted', action };
        extra = async (client, alert) => {
          await override.accept(client, alert, { by: by.name, reason });
        };
        break;
      case 'dismiss':
        decision = { status: 'dismissed', resolution: 'dismissed', action, suppress: true };
        extra = async (_client, alert) => {
          if (alert.kind === 'invalid') {
            throw new HubError('HUB_ERR_CONFLICT', 'an invalid record stays quarantined whatever the queue says: route it to its provider instead');
          }
        };
        break;
      case 'assign':
        if (!input.assignee) throw new HubError('HUB_ERR_VALIDATION', 'assignee: name the principal who takes the alert');
        from = [...pending, 'routed'];
        decision = { assignee: input.assignee, action };
        break;
      case 'reopen':
        from = closed;
        decision = { status: 'open', resolution: null, action, unsuppress: true };
        break;
      case 'route':
        decision = { status: 'routed', resolution: 'routed', action };
        extra = async (client, alert) => {
          const sources = [...new Set(alert.sources.map((s) => s.provider))];
          if (input.provider && !sources.includes(input.provider)) {
            throw new HubError('HUB_ERR_VALIDATION', `provider: ${input.provider} is not one of this alert's sources (${sources.join(', ')})`);
          }
          // The request names the key: it goes only to a department that sent this record. By default
          // the only source (an invalid record, a warning), else the field's authority if it is a source.
          const provider = input.provider ?? (sources.length === 1 ? sources[0] : undefined);
          correction = await corrections.report({ dataset: alert.dataset, key: alert.key, fields: alert.fields, description: reason }, by, {
            alertId: alert.id,
            db: client,
            among: sources,
            ...(provider ? { provider } : {}),
          });
        };
        break;
    }
    const alert = await alerts.decide(id, from, decision, async (client, alert) => {
      await extra?.(client, alert);
      await record(client, {
        actor: by.name,
        actorRole: by.role,
        action: `alert.${input.action}`,
        method: 'api',
        subjectProvider: alert.sources[0]?.provider ?? null,
        datasets: [alert.dataset],
        fields: alert.fields,
        detail: {
          alert: alert.id,
          kind: alert.kind,
          reason,
          ...(input.assignee ? { assignee: input.assignee } : {}),
          ...(correction ? { correction: correction.id } : {}),
        },
      });
    });
    return correction ? { alert, correction } : { alert };
  }

  return {
    act,
    async bulk(by, { ids, filter, ...input }) {
      if ((ids === undefined) === (filter === undefined)) throw new HubError('HUB_ERR_VALIDATION', 'give either ids or a filter');
      const targets = ids ?? (await alerts.queue({ ...filter, limit: bulkLimit })).items.map((a) => a.id);
      const failed: { id: string; code: string; message: string }[] = [];
      let applied = 0;
      for (const id of targets) {
        try {
          await act(id, by, input);
          applied += 1;
        } catch (err) {
          if (!(err instanceof HubError)) throw err;
          failed.push({ id, code: err.code, message: err.message });
        }
      }
      return { applied, failed };
    },
  };
}
