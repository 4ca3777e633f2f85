import type { Writable } from 'node:stream';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { HubError } from '../platform/errors.ts';
import { openPool } from '../platform/db/pool.ts';
import { createAuditLog } from '../audit/log.ts';
import { auditChainKey } from '../audit/hash.ts';
import { readSecrets } from '../platform/secrets.ts';
import { auditHeadFile } from '../hub/topology.ts';

export interface AuditCommand {
  config: HubConfig;
  log: Logger;
  action: string | undefined;
  json: boolean;
  /** export: inclusive lower and exclusive upper bound (ISO date-times). */
  from?: string;
  to?: string;
  out: Writable;
  err: Writable;
}

/**
 * `hub audit verify` reads the chain straight from Postgres (it changes nothing, not even the
 * schema) and answers 0 if it is intact, 1 with one line per problem if not.
 */
export async function runAuditCommand({ config, log, action, json, from, to, out, err }: AuditCommand): Promise<number> {
  if (action !== 'verify' && action !== 'export')
    throw new HubError('HUB_ERR_VALIDATION', 'usage: hub audit verify [--json] | hub audit export [--from ISO] [--to ISO]');
  for (const [name, value] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (value !== undefined && Number.isNaN(Date.parse(value))) throw new HubError('HUB_ERR_VALIDATION', `${name} must be an ISO date-time, got "${value}"`);
  }
  const pool = await openPool({ ...config.database, log });
  if (action === 'export') {
    try {
      const n = await createAuditLog({ pool }).export({ ...(from ? { from } : {}), ...(to ? { to } : {}) }, (record) => {
        out.write(`${JSON.stringify(record)}\n`);
      });
      err.write(`hub: exported ${n} audit rows\n`);
      return 0;
    } finally {
      await pool.end();
    }
  }
  // The chain key and the head kept outside the database live in the hub's state folder.
  const secret = (await readSecrets(config.stateDir))?.keyHashSecret;
  try {
    const result = await createAuditLog({ pool, ...(secret ? { key: auditChainKey(secret) } : {}), headFile: auditHeadFile(config) })
      .verify()
      .catch((e: unknown) => {
        if ((e as { code?: string }).code === '42P01') {
          throw new HubError(
            'HUB_ERR_STARTUP',
            `there is no audit trail in schema "${config.database.schema}": start the hub once so it applies its migrations`,
          );
        }
        throw e;
      });
    if (json) out.write(`${JSON.stringify(result)}\n`);
    else if (result.ok) out.write(`audit trail intact: ${result.checked} rows${result.head ? `, head ${result.head.seq} ${result.head.hash}` : ''}\n`);
    else out.write(result.problems.map((p) => `seq ${p.seq}: ${p.problem}\n`).join(''));
    if (result.ok) return 0;
    err.write(`hub: the audit trail is broken: ${result.problems.length} problem(s) in ${result.checked} rows\n`);
    return 1;
  } finally {
    await pool.end();
  }
}
