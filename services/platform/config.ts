import { resolve } from 'node:path';
import { HubError } from './errors.ts';
import { jurisdictionIds, type JurisdictionId } from './calendar/jurisdictions.ts';

/** The one place the hub reads its environment. Everything else receives a frozen HubConfig. */

type Kind = 'string' | 'int' | 'fraction' | 'url' | 'list' | 'level';

interface Setting {
  readonly env: string;
  readonly kind: Kind;
  /** undefined means "unset" is meaningful (e.g. KAFKA_BROKERS unset = start a local broker). */
  readonly default: string | undefined;
  readonly doc: string;
  readonly min?: number;
  readonly max?: number;
  readonly secret?: boolean;
}

export const settings = {
  host: { env: 'HUB_HOST', kind: 'string', default: '127.0.0.1', doc: 'HTTP listen address' },
  port: { env: 'HUB_PORT', kind: 'int', default: '8080', min: 0, max: 65535, doc: 'HTTP port' },
  stateDir: { env: 'HUB_STATE_DIR', kind: 'string', default: '.hub', doc: 'generated secrets, local broker data and logs (git-ignored)' },
  logLevel: { env: 'LOG_LEVEL', kind: 'level', default: undefined, doc: 'pino level; unset: info for the hub, warn for one-shot commands' },
  bodyLimit: { env: 'HUB_BODY_LIMIT', kind: 'int', default: String(16 * 1024 * 1024), min: 1024, doc: 'max HTTP body (bytes)' },
  tlsCert: { env: 'HUB_TLS_CERT', kind: 'string', default: undefined, doc: 'PEM certificate file: set with HUB_TLS_KEY, the API is served over HTTPS' },
  tlsKey: { env: 'HUB_TLS_KEY', kind: 'string', default: undefined, doc: 'PEM private key file of HUB_TLS_CERT' },
  metricsToken: {
    env: 'HUB_METRICS_TOKEN',
    kind: 'string',
    default: undefined,
    secret: true,
    doc: 'unset: /metrics is open; set: it needs "Authorization: Bearer <this>"',
  },
  databaseUrl: { env: 'DATABASE_URL', kind: 'url', default: 'postgres://postgres@127.0.0.1:5432/hub', secret: true, doc: 'Postgres, system of record' },
  databaseSchema: { env: 'DATABASE_SCHEMA', kind: 'string', default: 'hub', doc: 'Postgres schema for the hub tables' },
  databaseAppRole: {
    env: 'DATABASE_APP_ROLE',
    kind: 'string',
    default: 'hub_app',
    doc: 'the role the hub runs its requests as (created by the DATABASE_URL user, which keeps migrations)',
  },
  databasePoolMax: { env: 'DATABASE_POOL_MAX', kind: 'int', default: '10', min: 1, max: 200, doc: 'pg pool size (connections)' },
  databaseConnectTimeout: { env: 'DATABASE_CONNECT_TIMEOUT_MS', kind: 'int', default: '5000', min: 100, doc: 'connect timeout (ms)' },
  redisUrl: { env: 'REDIS_URL', kind: 'url', default: 'redis://127.0.0.1:6379/0', secret: true, doc: 'Redis, fast path only' },
  redisKeyPrefix: { env: 'REDIS_KEY_PREFIX', kind: 'string', default: 'hub:', doc: 'prefix of every Redis key' },
  redisConnectTimeout: { env: 'REDIS_CONNECT_TIMEOUT_MS', kind: 'int', default: '3000', min: 100, doc: 'connect timeout (ms)' },
  kafkaBrokers: { env: 'KAFKA_BROKERS', kind: 'list', default: undefined, doc: 'host:port list; unset starts the local broker' },
  kafkaUsername: { env: 'KAFKA_USERNAME', kind: 'string', default: undefined, doc: 'hub super user (external brokers)' },
  kafkaPassword: { env: 'KAFKA_PASSWORD', kind: 'string', default: undefined, secret: true, doc: 'hub super user password (external brokers)' },
  kafkaCaFile: { env: 'KAFKA_CA_FILE', kind: 'string', default: undefined, doc: 'PEM CA file: with KAFKA_BROKERS, connect over SASL_SSL trusting this CA' },
  kafkaClientId: { env: 'KAFKA_CLIENT_ID', kind: 'string', default: 'gov-data-hub', doc: 'Kafka client id' },
  kafkaConnectTimeout: { env: 'KAFKA_CONNECT_TIMEOUT_MS', kind: 'int', default: '5000', min: 100, doc: 'connect timeout (ms)' },
  kafkaRequestTimeout: { env: 'KAFKA_REQUEST_TIMEOUT_MS', kind: 'int', default: '30000', min: 100, doc: 'request timeout (ms)' },
  kafkaLocalPort: { env: 'KAFKA_LOCAL_PORT', kind: 'int', default: '9092', min: 1, max: 65535, doc: 'local broker client port' },
  kafkaLocalControllerPort: { env: 'KAFKA_LOCAL_CONTROLLER_PORT', kind: 'int', default: '9093', min: 1, max: 65535, doc: 'local broker controller port' },
  kafkaLocalTlsPort: {
    env: 'KAFKA_LOCAL_TLS_PORT',
    kind: 'int',
    default: undefined,
    min: 1,
    max: 65535,
    doc: 'unset: loopback only; set: also a SASL_SSL listener on this port (CA in <state>/kafka/tls/ca.pem)',
  },
  kafkaLocalHeap: { env: 'KAFKA_LOCAL_HEAP', kind: 'string', default: '512m', doc: 'local broker JVM heap (per node)' },
  kafkaLocalNodes: {
    env: 'HUB_LOCAL_BROKERS',
    kind: 'int',
    default: '1',
    min: 1,
    max: 5,
    doc: 'local KRaft nodes (broker + controller each); node i (from 0) listens on KAFKA_LOCAL_PORT + 2i and KAFKA_LOCAL_CONTROLLER_PORT + 2i',
  },
  kafkaReplicationFactor: {
    env: 'KAFKA_REPLICATION_FACTOR',
    kind: 'int',
    default: undefined,
    min: 1,
    max: 7,
    doc: 'replicas of every topic the hub creates; unset: 3, or the brokers in the cluster if fewer',
  },
  kafkaMinInsyncReplicas: {
    env: 'KAFKA_MIN_INSYNC_REPLICAS',
    kind: 'int',
    default: undefined,
    min: 1,
    max: 7,
    doc: 'min.insync.replicas of the topics the hub creates; unset: 2 with 3 or more replicas, else 1',
  },
  javaHome: { env: 'JAVA_HOME', kind: 'string', default: undefined, doc: 'the JDK the local broker runs on (empty: java on PATH)' },
  toolPath: { env: 'PATH', kind: 'string', default: '/usr/bin:/bin', doc: 'where the local broker script finds java and mvn' },
  toolHome: { env: 'HOME', kind: 'string', default: '/root', doc: 'home of the local broker process (Maven keeps its cache there)' },
  kafkaLocalStartTimeout: { env: 'KAFKA_LOCAL_START_TIMEOUT_MS', kind: 'int', default: '180000', min: 1000, doc: 'first start resolves jars with Maven (ms)' },
  registryUrl: { env: 'SCHEMA_REGISTRY_URL', kind: 'url', default: undefined, doc: 'external registry; unset serves it at /registry' },
  registryUsername: { env: 'SCHEMA_REGISTRY_USERNAME', kind: 'string', default: undefined, doc: 'basic-auth user (external registry)' },
  registryPassword: { env: 'SCHEMA_REGISTRY_PASSWORD', kind: 'string', default: undefined, secret: true, doc: 'basic-auth password (external registry)' },
  authCacheTtl: { env: 'HUB_AUTH_CACHE_TTL_MS', kind: 'int', default: '5000', min: 0, doc: 'how long a verified token is trusted in-process (ms)' },
  jurisdiction: { env: 'HUB_JURISDICTION', kind: 'string', default: 'hefei', doc: 'whose deadlines apply: hefei, fuzhou, wuxi, quanzhou or zhongshan' },
  freshnessInterval: { env: 'HUB_FRESHNESS_INTERVAL_MS', kind: 'int', default: '60000', min: 100, doc: 'how often update cycles are checked (ms)' },
  rawTopicPartitions: { env: 'HUB_RAW_TOPIC_PARTITIONS', kind: 'int', default: '3', min: 1, max: 1000, doc: 'partitions of a new raw topic' },
  ingestMaxBatch: { env: 'HUB_INGEST_MAX_BATCH', kind: 'int', default: '5000', min: 1, doc: 'records per HTTP ingest call' },
  idempotencyLease: {
    env: 'HUB_IDEMPOTENCY_LEASE_MS',
    kind: 'int',
    default: '60000',
    min: 100,
    doc: 'an unfinished Idempotency-Key may be retried after (ms)',
  },
  fileMaxBytes: { env: 'HUB_FILE_MAX_BYTES', kind: 'int', default: String(2 * 1024 ** 3), min: 1, doc: 'largest file upload (bytes)' },
  fileBatch: { env: 'HUB_FILE_BATCH', kind: 'int', default: '500', min: 1, max: 5000, doc: 'rows of an uploaded file per publish (records)' },
  clientUrl: { env: 'HUB_URL', kind: 'url', default: 'http://127.0.0.1:8080', doc: 'the hub that client commands (hub import) talk to' },
  clientToken: { env: 'HUB_TOKEN', kind: 'string', default: undefined, secret: true, doc: 'bearer token of client commands (hub import)' },
  landingSchemaPrefix: { env: 'HUB_LANDING_SCHEMA_PREFIX', kind: 'string', default: '-', doc: 'prefix of the Postgres schemas base and theme ("-" for none)' },
  leaderCheck: {
    env: 'HUB_LEADER_CHECK_MS',
    kind: 'int',
    default: '2000',
    min: 100,
    doc: 'how often an instance asks to lead elected work (the share streamer), and the leader checks it still does (ms)',
  },
  grantHandover: {
    env: 'HUB_GRANT_HANDOVER_TIMEOUT_MS',
    kind: 'int',
    default: '60000',
    min: 1000,
    doc: 'how long an instance waits for the elected one to activate a grant it handed over (ms; then 503, the activation goes on)',
  },
  timerLease: {
    env: 'HUB_TIMER_LEASE_MS',
    kind: 'int',
    default: '300000',
    min: 1000,
    doc: 'after this, a sharing timer claimed by an instance that never finished it is fired by another (ms)',
  },
  cleansingGroup: { env: 'HUB_CLEANSING_GROUP', kind: 'string', default: 'hub-cleansing', doc: 'consumer group of the cleansing service' },
  cleansingChunk: { env: 'HUB_CLEANSING_CHUNK', kind: 'int', default: '500', min: 1, max: 10000, doc: 'records per landing transaction' },
  verifyRate: {
    env: 'HUB_VERIFY_RATE',
    kind: 'int',
    default: '20',
    min: 1,
    doc: 'verification burst limit per principal (requests per second, token bucket of that size)',
  },
  verifyDailyQuota: { env: 'HUB_VERIFY_DAILY_QUOTA', kind: 'int', default: '10000', min: 1, doc: 'verification requests per principal per day (China date)' },
  verifyCrawlWindow: {
    env: 'HUB_VERIFY_CRAWL_WINDOW_MS',
    kind: 'int',
    default: '60000',
    min: 1000,
    doc: 'window in which distinct verified keys are counted for crawl detection (ms)',
  },
  verifyCrawlKeys: {
    env: 'HUB_VERIFY_CRAWL_KEYS',
    kind: 'int',
    default: '50',
    min: 2,
    doc: 'distinct keys per principal in the crawl window above which it counts as crawling, sequential or not (keys)',
  },
  verifyCrawlBlock: {
    env: 'HUB_VERIFY_CRAWL_BLOCK_MS',
    kind: 'int',
    default: '3600000',
    min: 1000,
    doc: 'how long a principal caught crawling is refused verification (ms)',
  },
  verifyClaimsPerKey: {
    env: 'HUB_VERIFY_CLAIMS_PER_KEY',
    kind: 'int',
    default: '10',
    min: 1,
    doc: 'verifications of one key per principal per day (China date) before that key is refused (calls)',
  },
  verifyNotSharedDailyQuota: {
    env: 'HUB_VERIFY_NOT_SHARED_DAILY_QUOTA',
    kind: 'int',
    default: '1000',
    min: 1,
    doc: 'verifications of not-shared datasets per principal per day (China date), within the daily quota (requests)',
  },
  verifyNotSharedCrawlKeys: {
    env: 'HUB_VERIFY_NOT_SHARED_CRAWL_KEYS',
    kind: 'int',
    default: '20',
    min: 2,
    doc: 'distinct keys of not-shared datasets per principal in the crawl window above which it counts as crawling; never more than the crawl keys (keys)',
  },
  verifyGrantCache: {
    env: 'HUB_VERIFY_GRANT_CACHE_MS',
    kind: 'int',
    default: '1000',
    min: 0,
    doc: 'how long a hub instance reuses "this verification grant covers these fields" (a refusal is never reused; an ending on this instance clears it) (ms)',
  },
  verifyMismatchMinCalls: {
    env: 'HUB_VERIFY_MISMATCH_MIN_CALLS',
    kind: 'int',
    default: '50',
    min: 1,
    doc: 'answered verifications in the crawl window before the mismatch rate is judged (calls)',
  },
  verifyMismatchRate: {
    env: 'HUB_VERIFY_MISMATCH_RATE',
    kind: 'fraction',
    default: '0.5',
    doc: 'share of answered verifications in the crawl window with any mismatch above which it counts as crawling (0 to 1)',
  },
  alertOverdueDays: {
    env: 'HUB_ALERT_OVERDUE_DAYS',
    kind: 'int',
    default: '5',
    min: 1,
    doc: "an open quality alert older than this counts as overdue in the stewards' queue (calendar days)",
  },
  alertStreamMax: {
    env: 'HUB_ALERT_STREAM_MAX_MS',
    kind: 'int',
    default: '60000',
    min: 100,
    doc: 'how long one alert stream connection lasts before the client reconnects with Last-Event-ID (ms)',
  },
  alertStreamLookback: {
    env: 'HUB_ALERT_STREAM_LOOKBACK_MS',
    kind: 'int',
    default: '30000',
    min: 1000,
    doc: 'how far back each alert stream poll looks for alerts committed late (longer than any landing transaction) (ms)',
  },
  alertStreamPoll: { env: 'HUB_ALERT_STREAM_POLL_MS', kind: 'int', default: '1000', min: 100, doc: 'how often the alert stream looks for new alerts (ms)' },
  correctionTick: {
    env: 'HUB_CORRECTION_TICK_MS',
    kind: 'int',
    default: '2000',
    min: 100,
    doc: 'how often correction requests are checked for corrected records and missed deadlines (ms)',
  },
  openPublishTick: {
    env: 'HUB_OPEN_PUBLISH_TICK_MS',
    kind: 'int',
    default: '60000',
    min: 100,
    doc: 'how often open datasets are checked for changed source data and republished (ms); well within the 20 working days of Zhongshan 27',
  },
  openApiPerMinute: {
    env: 'HUB_OPEN_API_PER_MINUTE',
    kind: 'int',
    default: '600',
    min: 1,
    doc: 'requests one client (IP address) may make to the public open-data routes per minute',
  },
  openMaxDownloads: {
    env: 'HUB_OPEN_MAX_DOWNLOADS',
    kind: 'int',
    default: '4',
    min: 1,
    doc: 'open-data downloads one hub instance streams at once, each holding a Postgres connection (downloads)',
  },
  openFeedbackPerHour: {
    env: 'HUB_OPEN_FEEDBACK_PER_HOUR',
    kind: 'int',
    default: '5',
    min: 1,
    doc: 'feedback messages one client (IP address) may leave on the open-data portal per hour',
  },
  shutdownTimeout: { env: 'HUB_SHUTDOWN_TIMEOUT_MS', kind: 'int', default: '15000', min: 100, doc: 'graceful stop budget (ms)' },
} as const satisfies Record<string, Setting>;

export interface HubConfig {
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimit: number;
    readonly metricsToken: string | null;
    /** Files of the certificate and key: HTTPS; null: HTTP. */
    readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  };
  readonly stateDir: string;
  /** null: the command's own default. */
  readonly logLevel: string | null;
  readonly database: { readonly url: string; readonly schema: string; readonly appRole: string; readonly poolMax: number; readonly connectTimeoutMs: number };
  readonly redis: { readonly url: string; readonly keyPrefix: string; readonly connectTimeoutMs: number };
  readonly kafka: {
    /** null: the hub starts and owns a local broker. */
    readonly brokers: readonly string[] | null;
    readonly username: string | null;
    readonly password: string | null;
    /** With brokers: SASL_SSL, trusting the CA in this PEM file; null: SASL_PLAINTEXT. */
    readonly caFile: string | null;
    readonly clientId: string;
    readonly connectTimeoutMs: number;
    readonly requestTimeoutMs: number;
    /** null: from the cluster's size (min(3, brokers)). */
    readonly replicationFactor: number | null;
    /** null: 2 with 3 or more replicas, else 1. */
    readonly minInsyncReplicas: number | null;
    readonly local: {
      readonly port: number;
      readonly controllerPort: number;
      /** null: no SASL_SSL listener. */
      readonly tlsPort: number | null;
      readonly heap: string;
      /** KRaft nodes to start (each broker and controller). */
      readonly nodes: number;
      readonly startTimeoutMs: number;
      /** The only variables the local broker's process inherits (PATH, HOME, JAVA_HOME). */
      readonly toolEnv: Readonly<Record<string, string>>;
    };
  };
  readonly registry: { readonly url: string | null; readonly username: string | null; readonly password: string | null };
  readonly auth: { readonly cacheTtlMs: number };
  readonly jurisdiction: JurisdictionId;
  readonly cleansing: { readonly schemaPrefix: string; readonly groupId: string; readonly chunk: number };
  readonly sharing: { readonly leaderCheckMs: number; readonly handoverTimeoutMs: number; readonly timerLeaseMs: number };
  readonly stewardship: {
    readonly alertOverdueDays: number;
    readonly streamPollMs: number;
    readonly streamMaxMs: number;
    readonly streamLookbackMs: number;
    readonly correctionTickMs: number;
  };
  readonly catalog: { readonly rawTopicPartitions: number };
  readonly open: { readonly publishTickMs: number; readonly apiPerMinute: number; readonly feedbackPerHour: number; readonly maxDownloads: number };
  readonly ingest: {
    readonly maxBatch: number;
    readonly idempotencyLeaseMs: number;
    readonly freshnessIntervalMs: number;
    readonly fileMaxBytes: number;
    readonly fileBatch: number;
  };
  /** Where client commands (hub import) send their requests. */
  readonly client: { readonly url: string; readonly token: string | null };
  readonly verification: {
    readonly ratePerSecond: number;
    readonly dailyQuota: number;
    readonly crawlWindowMs: number;
    readonly crawlKeys: number;
    readonly crawlBlockMs: number;
    readonly claimsPerKeyPerDay: number;
    readonly notSharedDailyQuota: number;
    readonly notSharedCrawlKeys: number;
    readonly mismatchMinCalls: number;
    readonly mismatchRate: number;
    readonly grantCacheMs: number;
  };
  readonly shutdownTimeoutMs: number;
}

export type Env = Readonly<Record<string, string | undefined>>;
type Key = keyof typeof settings;
type Raw = { [K in Key]: string | undefined };

const levels = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function check(key: Key, value: string): string | null {
  const s: Setting = settings[key];
  switch (s.kind) {
    case 'int': {
      if (!/^\d+$/.test(value)) return `${s.env} must be a whole number, got "${value}"`;
      const n = Number(value);
      if (s.min !== undefined && n < s.min) return `${s.env} must be at least ${s.min}, got ${n}`;
      if (s.max !== undefined && n > s.max) return `${s.env} must be at most ${s.max}, got ${n}`;
      return null;
    }
    case 'fraction': {
      const n = /^(\d+(\.\d*)?|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
      return n >= 0 && n <= 1 ? null : `${s.env} must be a number from 0 to 1, got "${value}"`;
    }
    case 'url':
      try {
        new URL(value);
        return null;
      } catch {
        return `${s.env} is not a URL: "${s.secret ? '<redacted>' : value}"`;
      }
    case 'list':
      return value.split(',').every((b) => /^[^\s:]+:\d+$/.test(b.trim())) ? null : `${s.env} must be host:port[,host:port], got "${value}"`;
    case 'level':
      return levels.has(value) ? null : `${s.env} must be one of ${[...levels].join(', ')}, got "${value}"`;
    case 'string':
      return value.length > 0 ? null : `${s.env} must not be empty`;
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Builds the hub's configuration from an environment (process.env at the entry point, a plain
 * object in tests). Every problem is reported at once, in one HubError.
 */
/** The process environment: this module is the one place that reads it. */
export function readEnvironment(): Env {
  return process.env;
}

/** LOG_LEVEL, checked, or the caller's default, for commands that need a logger before (or without) the hub's config. */
export function logLevelOf(env: Env, fallback: string): string {
  const level = env.LOG_LEVEL;
  if (level === undefined || level === '') return fallback;
  if (!levels.has(level)) throw new HubError('HUB_ERR_CONFIG', `invalid configuration: LOG_LEVEL must be one of ${[...levels].join(', ')}, got "${level}"`);
  return level;
}

export function loadConfig(env: Env = readEnvironment(), cwd = process.cwd()): HubConfig {
  const raw = {} as Raw;
  const problems: string[] = [];
  for (const key of Object.keys(settings) as Key[]) {
    const s: Setting = settings[key];
    const given = env[s.env];
    const value = given === undefined || given === '' ? s.default : given;
    if (value !== undefined) {
      const problem = check(key, value);
      if (problem) problems.push(problem);
    }
    raw[key] = value;
  }
  if (raw.kafkaBrokers !== undefined && (raw.kafkaUsername === undefined || raw.kafkaPassword === undefined)) {
    problems.push('KAFKA_BROKERS is set: set KAFKA_USERNAME and KAFKA_PASSWORD to the hub super user too');
  }
  if (
    raw.kafkaReplicationFactor !== undefined &&
    raw.kafkaMinInsyncReplicas !== undefined &&
    Number(raw.kafkaMinInsyncReplicas) > Number(raw.kafkaReplicationFactor)
  ) {
    problems.push('KAFKA_MIN_INSYNC_REPLICAS is above KAFKA_REPLICATION_FACTOR: no write could ever be acknowledged');
  }
  if (raw.kafkaCaFile !== undefined && raw.kafkaBrokers === undefined) {
    problems.push('KAFKA_CA_FILE is for external brokers: set KAFKA_BROKERS too (the local broker uses its own CA)');
  }
  if ((raw.tlsCert === undefined) !== (raw.tlsKey === undefined)) problems.push('HUB_TLS_CERT and HUB_TLS_KEY go together: set both for HTTPS, or neither');
  if (raw.jurisdiction !== undefined && !(jurisdictionIds as string[]).includes(raw.jurisdiction)) {
    problems.push(`HUB_JURISDICTION must be one of ${jurisdictionIds.join(', ')}, got "${raw.jurisdiction}"`);
  }
  if (problems.length > 0) {
    throw new HubError('HUB_ERR_CONFIG', `invalid configuration: ${problems.join('; ')}`);
  }
  const int = (k: Key) => Number(raw[k]);
  const str = (k: Key) => raw[k] as string;
  const opt = (k: Key) => raw[k] ?? null;
  return deepFreeze({
    http: {
      host: str('host'),
      port: int('port'),
      bodyLimit: int('bodyLimit'),
      metricsToken: opt('metricsToken'),
      tls: raw.tlsCert && raw.tlsKey ? { certFile: resolve(cwd, raw.tlsCert), keyFile: resolve(cwd, raw.tlsKey) } : null,
    },
    stateDir: resolve(cwd, str('stateDir')),
    logLevel: opt('logLevel'),
    database: {
      url: str('databaseUrl'),
      schema: str('databaseSchema'),
      appRole: str('databaseAppRole'),
      poolMax: int('databasePoolMax'),
      connectTimeoutMs: int('databaseConnectTimeout'),
    },
    redis: { url: str('redisUrl'), keyPrefix: str('redisKeyPrefix'), connectTimeoutMs: int('redisConnectTimeout') },
    kafka: {
      brokers: raw.kafkaBrokers ? raw.kafkaBrokers.split(',').map((b) => b.trim()) : null,
      username: opt('kafkaUsername'),
      password: opt('kafkaPassword'),
      caFile: raw.kafkaCaFile ? resolve(cwd, raw.kafkaCaFile) : null,
      clientId: str('kafkaClientId'),
      connectTimeoutMs: int('kafkaConnectTimeout'),
      requestTimeoutMs: int('kafkaRequestTimeout'),
      replicationFactor: raw.kafkaReplicationFactor === undefined ? null : int('kafkaReplicationFactor'),
      minInsyncReplicas: raw.kafkaMinInsyncReplicas === undefined ? null : int('kafkaMinInsyncReplicas'),
      local: {
        port: int('kafkaLocalPort'),
        controllerPort: int('kafkaLocalControllerPort'),
        tlsPort: raw.kafkaLocalTlsPort === undefined ? null : int('kafkaLocalTlsPort'),
        heap: str('kafkaLocalHeap'),
        nodes: int('kafkaLocalNodes'),
        toolEnv: { PATH: str('toolPath'), HOME: str('toolHome'), ...(raw.javaHome ? { JAVA_HOME: raw.javaHome } : {}) },
        startTimeoutMs: int('kafkaLocalStartTimeout'),
      },
    },
    registry: { url: opt('registryUrl'), username: opt('registryUsername'), password: opt('registryPassword') },
    auth: { cacheTtlMs: int('authCacheTtl') },
    jurisdiction: str('jurisdiction') as JurisdictionId,
    stewardship: {
      alertOverdueDays: int('alertOverdueDays'),
      streamPollMs: int('alertStreamPoll'),
      streamMaxMs: int('alertStreamMax'),
      streamLookbackMs: int('alertStreamLookback'),
      correctionTickMs: int('correctionTick'),
    },
    cleansing: {
      schemaPrefix: str('landingSchemaPrefix') === '-' ? '' : str('landingSchemaPrefix'),
      groupId: str('cleansingGroup'),
      chunk: int('cleansingChunk'),
    },
    sharing: { leaderCheckMs: int('leaderCheck'), handoverTimeoutMs: int('grantHandover'), timerLeaseMs: int('timerLease') },
    catalog: { rawTopicPartitions: int('rawTopicPartitions') },
    open: {
      publishTickMs: int('openPublishTick'),
      apiPerMinute: int('openApiPerMinute'),
      feedbackPerHour: int('openFeedbackPerHour'),
      maxDownloads: int('openMaxDownloads'),
    },
    ingest: {
      maxBatch: int('ingestMaxBatch'),
      idempotencyLeaseMs: int('idempotencyLease'),
      freshnessIntervalMs: int('freshnessInterval'),
      fileMaxBytes: int('fileMaxBytes'),
      fileBatch: int('fileBatch'),
    },
    client: { url: str('clientUrl'), token: opt('clientToken') },
    verification: {
      ratePerSecond: int('verifyRate'),
      dailyQuota: int('verifyDailyQuota'),
      crawlWindowMs: int('verifyCrawlWindow'),
      crawlKeys: int('verifyCrawlKeys'),
      crawlBlockMs: int('verifyCrawlBlock'),
      claimsPerKeyPerDay: int('verifyClaimsPerKey'),
      notSharedDailyQuota: int('verifyNotSharedDailyQuota'),
      notSharedCrawlKeys: int('verifyNotSharedCrawlKeys'),
      mismatchMinCalls: int('verifyMismatchMinCalls'),
      mismatchRate: Number(raw.verifyMismatchRate),
      grantCacheMs: int('verifyGrantCache'),
    },
    shutdownTimeoutMs: int('shutdownTimeout'),
  } satisfies HubConfig);
}

/** Removes the password from a connection URL so it can be logged or printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
