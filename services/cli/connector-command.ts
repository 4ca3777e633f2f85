import { resolve } from 'node:path';
import type { Logger } from '../platform/logger.ts';
import { HubError } from '../platform/errors.ts';
import { loadConnectorConfig, type ConnectorEnv } from '../../connectors/db/config.ts';
import { createDbConnector } from '../../connectors/db/connector.ts';

export interface ConnectorCommand {
  action: string | undefined;
  configPath: string | undefined;
  /** Fills `${NAME}` references in the config file. */
  env: ConnectorEnv;
  log: Logger;
  /** After SIGINT/SIGTERM, how long the batch in flight may take before the process exits anyway. */
  stopTimeoutMs?: number;
}

/**
 * `hub connector run <config.json>`: runs a department's database connector on its front-end
 * machine until SIGINT/SIGTERM. A second signal, or a stop that takes too long, exits at once:
 * the open transaction is then aborted by the broker or fenced by the next start, never half-written.
 */
export async function runConnectorCommand({ action, configPath, env, log, stopTimeoutMs = 30_000 }: ConnectorCommand): Promise<void> {
  if (action !== 'run' || !configPath) throw new HubError('HUB_ERR_VALIDATION', 'usage: hub connector run <config.json>');
  const config = await loadConnectorConfig(resolve(configPath), env);
  const connector = createDbConnector({ config, log });
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    log.info({ signal }, 'stopping the connector');
    controller.abort();
    setTimeout(() => {
      log.error({ stopTimeoutMs }, 'the connector did not stop in time; exiting');
      process.exit(1);
    }, stopTimeoutMs).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await connector.run(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
