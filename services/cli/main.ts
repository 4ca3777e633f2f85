import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig, logLevelOf, readEnvironment, type HubConfig } from '../platform/config.ts';
import { createLogger, type Logger } from '../platform/logger.ts';
import { HubError, errorMessage, isHubError } from '../platform/errors.ts';
import { startHub } from '../hub/runtime.ts';
import { runPrincipalCommand } from './principal-command.ts';
import { runCleanseCommand } from './cleanse-command.ts';
import { runConnectorCommand } from './connector-command.ts';
import { runImportCommand } from './import-command.ts';
import { runAuditCommand } from './audit-command.ts';
import { runBackupCommand } from './backup-command.ts';

const usage = `usage:
  hub [start]                                   start the whole hub (local broker unless KAFKA_BROKERS is set)
  hub principal create <name> --role <role> [--json]
  hub principal rotate <name> [--json]          new token and Kafka password
  hub principal disable <name>
  hub cleanse                                   one more cleansing instance beside a running hub
  hub connector run <config.json>               run a department database connector (JSON logs on stderr)
  hub import <dataset> <file> [--format csv|ndjson] [--encoding utf-8|gb18030] [--url URL] [--token TOKEN] [--from-line N] [--json]
                                                upload a CSV or NDJSON file as a department (HUB_URL, HUB_TOKEN)
  hub audit verify [--json]                     check the audit trail's hash chain (exit 1 if broken)
  hub audit export [--from ISO] [--to ISO]      the audit trail as NDJSON on stdout, oldest first, for archiving
  hub backup <dir> [--secrets --passphrase-file F]
                                                a consistent, verifiable backup (secrets only if asked, sealed)
  hub backup verify <dir>                       check every file of a backup against its manifest
  hub restore <dir> [--passphrase-file F]       rebuild the hub on an empty database and cluster
roles: authority, steward, department, consumer, auditor`;

async function start(config: HubConfig, log: Logger): Promise<void> {
  const hub = await startHub(config, log);
  process.stderr.write(
    [
      '',
      'Government data exchange hub is running',
      `  API       ${hub.url}/api/v1`,
      `  Registry  ${config.registry.url ?? `${hub.url}/registry`}`,
      `  Docs      ${hub.url}/docs`,
      `  Metrics   ${hub.url}/metrics`,
      `  Health    ${hub.url}/health/ready`,
      `  Kafka     ${hub.brokers.join(',')} (SASL_PLAINTEXT, SCRAM-SHA-512${config.kafka.brokers ? '' : '; local broker'})`,
      `  State     ${config.stateDir}`,
      'Create a principal:  npx hub principal create alice --role authority --json',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping the hub');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 25_000);
    force.unref();
    hub.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv[0] === 'import') {
    // A client of a running hub with options of its own, parsed by the command.
    await runImportCommand({ args: argv.slice(1), env, out: process.stdout, err: process.stderr });
    return 0;
  }
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      json: { type: 'boolean', default: false },
      from: { type: 'string' },
      to: { type: 'string' },
      secrets: { type: 'boolean', default: false },
      'passphrase-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command = 'start', ...rest] = positionals;
  if (values.help || command === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (command === 'start') {
    const config = loadConfig(env);
    await start(config, createLogger({ level: config.logLevel ?? 'info' }));
    return -1;
  }
  if (command === 'principal') {
    // Commands keep stdout for their answer; logs go to stderr.
    const config = loadConfig(env);
    const log = createLogger({ level: config.logLevel ?? 'warn', destination: pino.destination(2) });
    const [action, name] = rest;
    await runPrincipalCommand({ config, log, action, name, role: values.role, json: values.json ?? false, out: process.stdout });
    return 0;
  }
  if (command === 'cleanse') {
    const config = loadConfig(env);
    await runCleanseCommand({ config, log: createLogger({ level: config.logLevel ?? 'info', destination: pino.destination(2) }) });
    return 0;
  }
  if (command === 'connector') {
    const log = createLogger({ level: logLevelOf(env, 'info'), destination: pino.destination(2) });
    await runConnectorCommand({ action: rest[0], configPath: rest[1], env, log });
    return 0;
  }
  if (command === 'audit') {
    const config = loadConfig(env);
    const log = createLogger({ level: config.logLevel ?? 'warn', destination: pino.destination(2) });
    return runAuditCommand({
      config,
      log,
      action: rest[0],
      json: values.json ?? false,
      ...(values.from ? { from: values.from } : {}),
      ...(values.to ? { to: values.to } : {}),
      out: process.stdout,
      err: process.stderr,
    });
  }
  if (command === 'backup' || command === 'restore') {
    const config = loadConfig(env);
    const log = createLogger({ level: config.logLevel ?? 'warn', destination: pino.destination(2) });
    const verify = command === 'backup' && rest[0] === 'verify';
    await runBackupCommand({
      config,
      log,
      action: command === 'restore' ? 'restore' : verify ? 'verify' : 'backup',
      dir: verify ? rest[1] : rest[0],
      secrets: values.secrets ?? false,
      passphraseFile: values['passphrase-file'],
      out: process.stdout,
    });
    return 0;
  }
  throw new HubError('HUB_ERR_VALIDATION', `unknown command "${command}"\n${usage}`);
}

main(process.argv.slice(2), readEnvironment()).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    // One line that says what is wrong and what to do; no stack trace for an expected failure.
    const message =
      isHubError(err) || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? errorMessage(err)
        : `unexpected failure: ${(err as Error).stack ?? String(err)}`;
    process.stderr.write(`hub: ${message}\n`);
    process.exit(isHubError(err) && err.code === 'HUB_ERR_VALIDATION' ? 2 : 1);
  },
);
