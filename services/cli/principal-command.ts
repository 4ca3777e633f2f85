import { userInfo } from 'node:os';
import type { Writable } from 'node:stream';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { HubError } from '../platform/errors.ts';
import { openPool } from '../platform/db/pool.ts';
import { migrate } from '../platform/db/migrate.ts';
import { loadOrCreateSecrets } from '../platform/secrets.ts';
import { createPrincipalStore } from '../principals/store.ts';
import { createPrincipalService } from '../principals/service.ts';
import type { PrincipalCredentials } from '../principals/types.ts';
import { openAdmin, resolveKafka } from '../hub/kafka-connection.ts';
import { createCredentialVault } from '../principals/credentials.ts';
import { auditChainKey } from '../audit/hash.ts';
import { serviceUserNames } from '../hub/topology.ts';
import { createAuditLog } from '../audit/log.ts';

export interface PrincipalCommand {
  config: HubConfig;
  log: Logger;
  action: string | undefined;
  name: string | undefined;
  role: string | undefined;
  json: boolean;
  out: Writable;
}

function print(out: Writable, creds: PrincipalCredentials, json: boolean): void {
  if (json) {
    out.write(`${JSON.stringify(creds)}\n`);
    return;
  }
  out.write(
    [
      `principal ${creds.name} (${creds.role})`,
      `  API token       ${creds.token}`,
      `  Kafka user      ${creds.kafka.username}`,
      `  Kafka password  ${creds.kafka.password}`,
      'These secrets are shown once; the hub keeps only a hash of the token.',
      '',
    ].join('\n'),
  );
}

/**
 * `hub principal ...` works beside a running hub (it reuses its broker) or alone (it starts the
 * local broker for the duration of the command).
 */
export async function runPrincipalCommand({ config, log, action, name, role, json, out }: PrincipalCommand): Promise<void> {
  if (!name || !['create', 'rotate', 'disable'].includes(action ?? '')) {
    throw new HubError('HUB_ERR_VALIDATION', 'usage: hub principal create <name> --role <role> [--json] | rotate <name> | disable <name>');
  }
  if (action === 'create' && !role)
    throw new HubError('HUB_ERR_VALIDATION', 'hub principal create needs --role <authority|steward|department|consumer|auditor>');
  if (role === 'service') throw new HubError('HUB_ERR_VALIDATION', 'the service role is reserved for the hub itself');
  const pool = await openPool({ ...config.database, log });
  const secrets = await loadOrCreateSecrets(config.stateDir, serviceUserNames);
  let kafka: Awaited<ReturnType<typeof resolveKafka>> | null = null;
  try {
    await migrate({ pool, log });
    kafka = await resolveKafka(config, secrets, log, { reuseRunning: true });
    const admin = await openAdmin(kafka.connection, config, log);
    try {
      const service = createPrincipalService({
        store: createPrincipalStore({ pool }),
        admin,
        vault: createCredentialVault({ pool, keyHashSecret: secrets.keyHashSecret }),
      });
      // Keyed like the running hub's rows: an unkeyed row after keyed ones breaks the chain.
      const audit = createAuditLog({ pool, key: auditChainKey(secrets.keyHashSecret) });
      // The command runs on the hub's machine as its operator: the audit trail names the OS user.
      const operator = `cli:${userInfo().username}`;
      const record = (act: string, detail: Record<string, unknown>) =>
        audit.append(pool, { actor: operator, actorRole: 'operator', action: `principal.${act}`, method: 'cli', detail: { principal: name, ...detail } });
      if (action === 'create') {
        const created = await service.create({ name, role: role as string });
        await record('created', { role: created.role, kafkaUser: created.kafka.username });
        print(out, created, json);
      } else if (action === 'rotate') {
        const rotated = await service.rotate(name);
        await record('rotated', { role: rotated.role });
        print(out, rotated, json);
      } else {
        await service.disable(name);
        await record('disabled', {});
        out.write(json ? `${JSON.stringify({ name, disabled: true })}\n` : `principal ${name} disabled\n`);
      }
    } finally {
      await admin.close();
    }
  } finally {
    await pool.end();
    await kafka?.broker?.stop();
  }
}
