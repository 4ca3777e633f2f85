declare module 'fastify' {
  interface FastifyInstance {
    /** Background work's own health, shown by /health/ready. */
    workHealth: HealthBoard;
  }
}

/** How one kind of background work is doing: ok, or failing since when, how often and why. */
export interface WorkStatus {
  ok: boolean;
  since: string;
  failures: number;
  error?: string;
}

/**
 * Background work reports here after each unit of work; /health/ready shows it, and is not ready
 * while some work keeps failing (an outage it retries through, never a verdict on the data).
 */
export interface HealthBoard {
  report(work: string, outcome: { ok: true } | { ok: false; error: string }): void;
  snapshot(): Record<string, WorkStatus>;
}

/** Failures in a row before a kind of work counts as down. */
export const failuresBeforeDown = 3;

export function createHealthBoard(now: () => Date = () => new Date()): HealthBoard {
  const statuses = new Map<string, WorkStatus>();
  return {
    report(work, outcome) {
      const was = statuses.get(work);
      if (outcome.ok) {
        if (!was?.ok) statuses.set(work, { ok: true, since: now().toISOString(), failures: 0 });
        return;
      }
      statuses.set(work, {
        ok: false,
        since: was && !was.ok ? was.since : now().toISOString(),
        failures: (was && !was.ok ? was.failures : 0) + 1,
        error: outcome.error,
      });
    },
    snapshot: () => Object.fromEntries(statuses),
  };
}
