import kafkajs, { type LogEntry, type SASLOptions, type logLevel as LogLevel } from 'kafkajs';
import type { Logger } from '../logger.ts';
import { HubError, errorMessage } from '../errors.ts';

// kafkajs is CommonJS: Node's ESM loader does not see all of its named exports.
const { Kafka, logLevel } = kafkajs;
export type Kafka = InstanceType<typeof Kafka>;

export interface KafkaConnection {
  brokers: readonly string[];
  username: string;
  password: string;
  clientId: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** PEM of the CA to trust: the connection is SASL_SSL; unset, SASL_PLAINTEXT (loopback). */
  ca?: string;
}

const levelNames: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs through pino, with its namespace and fields as structured context. */
function pinoLogCreator(log: Logger) {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...fields } = entry;
      // kafkajs reports every reconnect attempt as an error; the hub decides what is an error.
      const name = levelNames[level] === 'error' ? 'warn' : (levelNames[level] ?? 'info');
      log[name]({ ...fields, kafkajs: namespace }, message);
    };
}

function pinoToKafkaLevel(log: Logger): LogLevel {
  switch (log.level) {
    case 'debug':
    case 'trace':
      return logLevel.INFO;
    case 'info':
    case 'warn':
      return logLevel.WARN;
    default:
      return logLevel.ERROR;
  }
}

/** The only place kafkajs clients are constructed: SCRAM-SHA-512, the hub's timeouts and logs. */
export function createKafkaClient(conn: KafkaConnection, log: Logger): Kafka {
  const sasl: SASLOptions = { mechanism: 'scram-sha-512', username: conn.username, password: conn.password };
  const child = log.child({ module: 'kafka' });
  return new Kafka({
    clientId: conn.clientId,
    brokers: [...conn.brokers],
    sasl,
    ssl: conn.ca ? { ca: [conn.ca] } : false,
    connectionTimeout: conn.connectTimeoutMs,
    requestTimeout: conn.requestTimeoutMs,
    logLevel: pinoToKafkaLevel(child),
    logCreator: pinoLogCreator(child),
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
  });
}

const authTypes = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
]);

/** Finds a broker error type (e.g. TOPIC_AUTHORIZATION_FAILED) anywhere in a kafkajs error chain. */
export function kafkaErrorType(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 6; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string') return type;
    if (/not authorized|authorization failed/i.test(errorMessage(e))) return 'TOPIC_AUTHORIZATION_FAILED';
    if (/SASL .*authentication failed/i.test(errorMessage(e))) return 'SASL_AUTHENTICATION_FAILED';
    e = (e as { originalError?: unknown; cause?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps a kafkajs failure onto the hub's catalog: refusals are 403, everything else 503. */
export function toHubKafkaError(err: unknown, what: string): HubError {
  if (err instanceof HubError) return err;
  const type = kafkaErrorType(err);
  if (type && authTypes.has(type)) return new HubError('HUB_ERR_FORBIDDEN', `Kafka refused ${what}: ${type}`, { cause: err });
  // Too large is a verdict on the data, not an outage: retrying the same bytes cannot help.
  if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') {
    return new HubError('HUB_ERR_PAYLOAD_TOO_LARGE', `Kafka refused ${what}: the records are larger than the broker accepts (${type})`, { cause: err });
  }
  return new HubError('HUB_ERR_KAFKA_UNAVAILABLE', `Kafka failed ${what}: ${errorMessage(err)}`, { cause: err });
}
