import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, settings, type Env } from '../../services/platform/config.ts';

/**
 * Static checks of docker-compose.yml (and the Dockerfile it builds): no Docker engine needed. The
 * compose file is read the way `docker compose` reads it, `${VAR}` references included.
 */

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

type EnvironmentSection = Record<string, string | number | boolean | null> | string[];

interface Service {
  image?: string;
  build?: unknown;
  entrypoint?: string | string[];
  command?: string | string[];
  environment?: EnvironmentSection;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: (string | number | { target?: number; published?: string | number })[];
  volumes?: (string | { type?: string; source?: string; target?: string; read_only?: boolean; volume?: { subpath?: string } })[];
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// `<<` merge keys, as docker compose reads them.
const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const services = compose.services;

function service(name: string): Service {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
}

/** A service's environment as written (references not substituted); `null` means "passed through". */
function environment(s: Service): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const section = s.environment ?? {};
  if (Array.isArray(section)) {
    for (const entry of section) {
      const eq = entry.indexOf('=');
      if (eq < 0) out[entry] = null;
      else out[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else {
    for (const [k, v] of Object.entries(section)) out[k] = v === null ? null : String(v);
  }
  return out;
}

/**
 * Compose interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`,
 * `${VAR?err}`, `${VAR:+alt}`, `${VAR+alt}`. A required variable missing from `vars` gets a dummy,
 * URL-safe value, as if the operator had set it.
 */
const dummy = (name: string) => `${name.toLowerCase().replaceAll('_', '-')}-dummy-0123456789`;
const reference = /\$\$|\$\{([A-Za-z_]\w*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_]\w*)/g;

function interpolate(value: string, vars: Env = {}): string {
  return value.replace(reference, (match: string, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare) as string;
    const v = vars[name];
    const set = v !== undefined;
    const nonEmpty = set && v !== '';
    switch (op) {
      case ':-':
        return nonEmpty ? v : interpolate(arg ?? '', vars);
      case '-':
        return set ? v : interpolate(arg ?? '', vars);
      case ':?':
        return nonEmpty ? v : dummy(name);
      case '?':
        return set ? v : dummy(name);
      case ':+':
        return nonEmpty ? interpolate(arg ?? '', vars) : '';
      case '+':
        return set ? interpolate(arg ?? '', vars) : '';
      default:
        return v ?? '';
    }
  });
}

/** A service's environment as the container would see it (pass-through names as required variables). */
function resolvedEnvironment(s: Service): Record<string, string> {
  return Object.fromEntries(Object.entries(environment(s)).map(([k, v]) => [k, interpolate(v ?? `\${${k}:?}`)]));
}

function required(env: Record<string, string>, name: string): string {
  const v = env[name];
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
}

interface Listener {
  name: string;
  host: string;
  port: number;
}

function listeners(value: string): Listener[] {
  return value.split(',').map((entry) => {
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(entry.trim());
    if (!m) throw new Error(`not a listener: "${entry}"`);
    return { name: m[1] as string, host: m[2] as string, port: Number(m[3]) };
  });
}

function protocolMap(value: string): Map<string, string> {
  return new Map(
    value.split(',').map((pair) => {
      const [name = '', protocol = ''] = pair.trim().split(':');
      return [name, protocol];
    }),
  );
}

/** The apache/kafka image's mapping from KAFKA_* variables to broker properties (KafkaDockerWrapper). */
const launcherVariables = new Set([
  'KAFKA_VERSION',
  'KAFKA_HEAP_OPT',
  'KAFKA_HEAP_OPTS',
  'KAFKA_LOG4J_OPTS',
  'KAFKA_OPTS',
  'KAFKA_JMX_OPTS',
  'KAFKA_JMX_PORT',
  'KAFKA_JMX_HOSTNAME',
  'KAFKA_JVM_PERFORMANCE_OPTS',
  'KAFKA_GC_LOG_OPTS',
  'KAFKA_LOG4J_ROOT_LOGLEVEL',
  'KAFKA_LOG4J_LOGGERS',
  'KAFKA_TOOLS_LOG4J_LOGLEVEL',
]);

function brokerProperties(env: Record<string, string>): Map<string, string> {
  const props = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('KAFKA_') || launcherVariables.has(name)) continue;
    const key = name.slice('KAFKA_'.length).toLowerCase().replaceAll('_', '.').replaceAll('...', '-').replaceAll('..', '_');
    props.set(key, value);
  }
  return props;
}

function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    props.set(t.slice(0, eq).trim(), t.slice(eq + 1).trim());
  }
  return props;
}

function volumeTargets(s: Service): { source: string; target: string; readOnly: boolean }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v === 'string') {
      const [source = '', target = '', mode = ''] = v.split(':');
      return { source, target, readOnly: mode.split(',').includes('ro') };
    }
    return { source: v.source ?? '', target: v.target ?? '', readOnly: v.read_only === true };
  });
}

const brokerNames = ['kafka-1', 'kafka-2', 'kafka-3'];
const brokers = brokerNames.map((name, i) => ({ name, id: i + 1, service: service(name), env: resolvedEnvironment(service(name)) }));
const kafka = service('kafka-1');
const kafkaEnvRaw = environment(kafka);
const kafkaEnv = resolvedEnvironment(kafka);
const tlsInit = service('kafka-tls');
const hub = service('hub');
const hubEnvRaw = environment(hub);
const hubEnv = resolvedEnvironment(hub);
const knownEnvNames = new Set<string>(Object.values(settings).map((s) => s.env));

describe('docker-compose.yml', () => {
  it('defines the hub and its three servers', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining([...brokerNames, 'kafka-tls', 'postgres', 'redis', 'hub']));
    expect(hub.build).toBeDefined();
  });

  it('pins Kafka 3.9, Postgres 16 and Redis 7', () => {
    for (const b of brokers) expect(b.service.image, b.name).toMatch(/^apache\/kafka:3\.9\.\d+$/);
    expect(service('postgres').image).toMatch(/^postgres:16(\.\d+)*(-[\w.]+)?$/);
    expect(service('redis').image).toMatch(/^redis:7(\.\d+)*(-[\w.]+)?$/);
  });

  it('runs Kafka as three KRaft voters with deny-by-default ACLs, three replicas and no topic auto-creation', () => {
    for (const { name, id, env } of brokers) {
      expect(new Set(required(env, 'KAFKA_PROCESS_ROLES').split(',')), name).toEqual(new Set(['broker', 'controller']));
      expect(required(env, 'CLUSTER_ID')).toBe(required(kafkaEnv, 'CLUSTER_ID'));
      expect(env.KAFKA_NODE_ID, name).toBe(String(id));
      expect(required(env, 'KAFKA_CONTROLLER_QUORUM_VOTERS').split(','), name).toEqual(brokers.map((b) => `${b.id}@${b.name}:9093`));
      expect(
        listeners(required(env, 'KAFKA_ADVERTISED_LISTENERS')).map((l) => l.host),
        name,
      ).toEqual([name]);
    }
    expect(required(kafkaEnv, 'CLUSTER_ID')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(kafkaEnv.KAFKA_AUTHORIZER_CLASS_NAME).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(kafkaEnv.KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND).toBe('false');
    expect(kafkaEnv.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    expect(kafkaEnv.KAFKA_SUPER_USERS).toMatch(/^User:[^;]+(;User:[^;]+)*$/);
    const factors = Object.entries(kafkaEnv).filter(([k]) => k.endsWith('_REPLICATION_FACTOR'));
    expect(factors.map(([k]) => k)).toEqual(
      expect.arrayContaining(['KAFKA_DEFAULT_REPLICATION_FACTOR', 'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR']),
    );
    for (const [name, value] of factors) expect(value, name).toBe('3');
    for (const [name, value] of Object.entries(kafkaEnv).filter(([k]) => /MIN_(ISR|INSYNC_REPLICAS)$/.test(k))) expect(value, name).toBe('2');
  });

  it('accepts clients only with SASL and SCRAM-SHA-512, encrypted wherever they leave the container', () => {
    const protocols = protocolMap(required(kafkaEnv, 'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP'));
    const bound = listeners(required(kafkaEnv, 'KAFKA_LISTENERS'));
    const advertised = listeners(required(kafkaEnv, 'KAFKA_ADVERTISED_LISTENERS'));
    expect(advertised.length).toBeGreaterThan(0);
    // Every listener, the controller's included, authenticates: nothing PLAINTEXT or SSL-only;
    // only one bound to loopback may skip TLS.
    for (const l of bound) {
      expect(['SASL_PLAINTEXT', 'SASL_SSL'], l.name).toContain(protocols.get(l.name));
      if (protocols.get(l.name) === 'SASL_PLAINTEXT') expect(l.host, l.name).toBe('127.0.0.1');
    }
    expect(kafkaEnv.KAFKA_CONTROLLER_LISTENER_NAMES).toBeDefined();
    const secrets = volumeTargets(kafka).find((v) => v.target === '/etc/kafka/secrets');
    expect(Object.keys(compose.volumes ?? {}), 'the TLS material is on a named volume').toContain(secrets?.source);
    for (const { name } of advertised) {
      expect(protocols.get(name), name).toBe('SASL_SSL');
      expect(kafkaEnv[`KAFKA_LISTENER_NAME_${name}_SSL_KEYSTORE_LOCATION`], name).toMatch(/^\/etc\/kafka\/secrets\//);
      expect(kafkaEnv[`KAFKA_LISTENER_NAME_${name}_SASL_ENABLED_MECHANISMS`] ?? kafkaEnv.KAFKA_SASL_ENABLED_MECHANISMS, name).toBe('SCRAM-SHA-512');
      expect(kafkaEnv[`KAFKA_LISTENER_NAME_${name}_SCRAM___SHA___512_SASL_JAAS_CONFIG`], name).toMatch(
        /^org\.apache\.kafka\.common\.security\.scram\.ScramLoginModule required /,
      );
    }
    expect(kafkaEnv.KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL).toBe('SCRAM-SHA-512');
    // Keystore passwords are generated by the entrypoint, never written here.
    for (const name of Object.keys(kafkaEnvRaw)) expect(name).not.toMatch(/SSL_(KEYSTORE|TRUSTSTORE|KEY)_PASSWORD$/);
  });

  it('generates the CA on the first start and gives the hub its certificate only', () => {
    const init = read('ops/compose/kafka/tls-init.sh');
    // The same keygen script as the local broker's (tested) TLS listener, mounted read-only.
    const keygen = volumeTargets(tlsInit).find((v) => v.target.endsWith('/tls-keygen.sh'));
    expect(keygen?.readOnly).toBe(true);
    expect(keygen?.source).toBe('./ops/kafka/tls-keygen.sh');
    expect(init).toContain(`bash ${keygen?.target} "$tls"`);
    expect(read('ops/kafka/start.sh')).toContain('bash "$here/tls-keygen.sh"');
    expect(init).toContain('mv "$tls/ca.pem" "$tls/public/ca.pem"');
    expect(init).toContain(`"$tls" kafka "${brokerNames.map((n) => `dns:${n}`).join(',')},`);
    const secrets = volumeTargets(tlsInit).find((v) => v.target === '/etc/kafka/secrets');
    // Every node reads the one keystore, read-only, once the one-shot service has made it.
    for (const b of brokers) {
      const mounted = volumeTargets(b.service).find((v) => v.target === '/etc/kafka/secrets');
      expect(mounted?.source, b.name).toBe(secrets?.source);
      expect(mounted?.readOnly, b.name).toBe(true);
      expect((b.service.depends_on as Record<string, { condition?: string }>)['kafka-tls']?.condition, b.name).toBe('service_completed_successfully');
    }
    const caFile = required(hubEnv, 'KAFKA_CA_FILE');
    const mount = (hub.volumes ?? []).find((v) => typeof v === 'object' && caFile.startsWith(`${v.target}/`));
    if (typeof mount !== 'object') throw new Error(`no volume holds ${caFile}`);
    expect(mount?.source).toBe(secrets?.source);
    expect(mount?.read_only).toBe(true);
    expect(mount?.volume?.subpath, 'only the public folder, never the keys').toBe('public');
    expect(posix.basename(caFile)).toBe('ca.pem');
    expect(read('ops/compose/kafka/healthcheck.sh')).toMatch(/security\.protocol=SASL_SSL/);
  });

  it('bootstraps the super user SCRAM credential when it formats the storage', () => {
    const entrypoint = [kafka.entrypoint ?? []].flat();
    const script = entrypoint.find((arg) => arg.endsWith('.sh'));
    expect(script, 'kafka entrypoint script').toBeDefined();
    // The script comes from this repository, mounted read-only.
    const mount = volumeTargets(kafka).find((v) => v.source.startsWith('./ops/compose') && script?.startsWith(`${v.target}/`));
    expect(mount, 'read-only mount of ops/compose').toBeDefined();
    expect(mount?.readOnly).toBe(true);
    const hostPath = posix.join(mount?.source ?? '', posix.relative(mount?.target ?? '', script ?? ''));
    expect(existsSync(new URL(hostPath, root)), hostPath).toBe(true);
    const text = read(hostPath);
    expect(text).toMatch(/kafka-storage\.sh format/);
    expect(text).toMatch(/--add-scram/);
    expect(text).toMatch(/SCRAM-SHA-512=\[name=/);
    expect(text).toMatch(/exec \/etc\/kafka\/docker\/run/);
    // ...for the user the hub logs in as.
    expect(kafkaEnv.SCRAM_SUPER_USER).toBe(hubEnv.KAFKA_USERNAME);
    expect(kafkaEnv.SCRAM_SUPER_PASSWORD).toBe(hubEnv.KAFKA_PASSWORD);
    // Variables the script reads are not KAFKA_*: the image would render those into server.properties.
    expect(text).not.toMatch(/\$\{?KAFKA_(USERNAME|PASSWORD)\b/);
  });

  it('configures each node like a node of the local cluster (ops/kafka/server.properties)', () => {
    const user = required(hubEnv, 'KAFKA_USERNAME');
    const password = required(hubEnv, 'KAFKA_PASSWORD');
    const local = parseProperties(read('ops/kafka/server.properties'));
    // Addresses, ports and folders differ by design (containers); everything else must match.
    // The protocol map too: the compose listeners leave the container, so they are SASL_SSL.
    const placeOnly = new Set(['listeners', 'advertised.listeners', 'controller.quorum.voters', 'log.dirs', 'listener.security.protocol.map']);
    expect(local.size).toBeGreaterThan(20);
    for (const b of brokers) {
      const ours = brokerProperties(b.env);
      for (const [key, value] of local) {
        expect(ours.has(key), `${key} is not set on ${b.name}`).toBe(true);
        if (placeOnly.has(key)) continue;
        // As start.sh renders a node of a three-node cluster.
        const rendered = value
          .replaceAll('@SUPER_USER@', user)
          .replaceAll('@SUPER_PASSWORD@', password)
          .replaceAll('@NODE_ID@', String(b.id))
          .replaceAll('@REPLICATION@', '3')
          .replaceAll('@MIN_ISR@', '2');
        expect(ours.get(key), `${b.name}: ${key}`).toBe(rendered);
      }
    }
  });

  it('sets only environment variables the hub knows, and the ones it needs', () => {
    const names = Object.keys(hubEnvRaw);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(knownEnvNames.has(name), `${name} is not in settings (services/platform/config.ts)`).toBe(true);
    expect(names).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS', 'KAFKA_USERNAME', 'KAFKA_PASSWORD']));
    expect(hubEnv.HUB_HOST).toBe('0.0.0.0');
    // The hub serves the schema registry itself.
    expect(names).not.toContain('SCHEMA_REGISTRY_URL');
  });

  it('points the hub at the compose services', () => {
    const postgres = resolvedEnvironment(service('postgres'));
    const db = new URL(required(hubEnv, 'DATABASE_URL'));
    expect(db.protocol).toMatch(/^postgres(ql)?:$/);
    expect(Object.keys(services)).toContain(db.hostname);
    expect(services[db.hostname]?.image).toMatch(/^postgres:/);
    expect(db.port || '5432').toBe('5432');
    expect(db.pathname).toBe(`/${required(postgres, 'POSTGRES_DB')}`);
    expect(decodeURIComponent(db.username)).toBe(required(postgres, 'POSTGRES_USER'));
    expect(decodeURIComponent(db.password)).toBe(required(postgres, 'POSTGRES_PASSWORD'));

    const redis = new URL(required(hubEnv, 'REDIS_URL'));
    expect(redis.protocol).toBe('redis:');
    expect(Object.keys(services)).toContain(redis.hostname);
    const redisService = service(redis.hostname);
    expect(redisService.image).toMatch(/^redis:/);
    expect(redis.port || '6379').toBe('6379');
    const command = [redisService.command ?? []].flat().map((arg) => interpolate(arg));
    const requirepass = command.indexOf('--requirepass');
    if (requirepass >= 0) expect(decodeURIComponent(redis.password)).toBe(command[requirepass + 1]);
    else expect(redis.password).toBe('');

    const brokers = required(hubEnv, 'KAFKA_BROKERS').split(',');
    for (const broker of brokers) {
      const [host = '', port = ''] = broker.trim().split(':');
      expect(Object.keys(services), broker).toContain(host);
      const brokerEnv = resolvedEnvironment(service(host));
      const advertised = listeners(required(brokerEnv, 'KAFKA_ADVERTISED_LISTENERS'));
      const listener = advertised.find((l) => l.host === host && String(l.port) === port);
      expect(listener, `${broker} is not a listener the ${host} service advertises`).toBeDefined();
      // ...and the broker really binds that port, on every interface.
      const binds = listeners(required(brokerEnv, 'KAFKA_LISTENERS')).find((l) => l.name === listener?.name);
      expect(binds?.port).toBe(listener?.port);
      expect(binds?.host).toBe('0.0.0.0');
    }
  });

  it('logs the hub in as the Kafka super user', () => {
    const superUsers = required(kafkaEnv, 'KAFKA_SUPER_USERS').split(';');
    expect(superUsers).toContain(`User:${required(hubEnv, 'KAFKA_USERNAME')}`);
    expect(kafkaEnv.KAFKA_LISTENER_NAME_CLIENT_SCRAM___SHA___512_SASL_JAAS_CONFIG).toContain(
      `username="${hubEnv.KAFKA_USERNAME}" password="${hubEnv.KAFKA_PASSWORD}"`,
    );
  });

  it('keeps secrets out of the file: every password is a required ${VAR} reference', () => {
    const requiredRef = /^\$\{[A-Za-z_]\w*:?\?[^}]*\}$/;
    const found: string[] = [];
    const check = (where: string, value: string) => {
      found.push(where);
      expect(value, where).toMatch(requiredRef);
    };
    for (const [name, s] of Object.entries(services)) {
      for (const [key, value] of Object.entries(environment(s))) {
        if (value === null) continue;
        if (/PASSWORD|SECRET|TOKEN|_AUTH$/.test(key)) check(`${name}.${key}`, value);
        for (const m of value.matchAll(/\b(?:password|user_[\w.-]+|user_\$\{[^}]*\})="([^"]*)"/g)) check(`${name}.${key} (JAAS)`, m[1] as string);
        // scheme://user:password@host, where user and password may be ${...} references.
        const url = /^[a-z][a-z0-9+.-]*:\/\/(?:\$\{[^}]*\}|[^:/@$])*:((?:\$\{[^}]*\}|[^@])+)@/.exec(value);
        if (url) check(`${name}.${key} (URL)`, url[1] as string);
      }
      const command = [s.command ?? []].flat();
      command.forEach((arg, i) => {
        if (/^--(requirepass|masterauth)$/.test(arg)) check(`${name}.command ${arg}`, command[i + 1] ?? '');
      });
    }
    // The checks above really looked at the secrets this file handles.
    expect(found).toEqual(
      expect.arrayContaining([
        'hub.KAFKA_PASSWORD',
        'hub.DATABASE_URL (URL)',
        'hub.REDIS_URL (URL)',
        'postgres.POSTGRES_PASSWORD',
        'redis.command --requirepass',
      ]),
    );
    expect(found.filter((w) => w.startsWith('kafka-1.') && w.endsWith('(JAAS)')).length).toBeGreaterThanOrEqual(3);
  });

  it('starts the hub only once Kafka, Postgres and Redis are healthy', () => {
    const deps = hub.depends_on;
    expect(deps && !Array.isArray(deps), 'depends_on with conditions').toBe(true);
    for (const name of [...brokerNames, 'postgres', 'redis']) {
      expect((deps as Record<string, { condition?: string }>)[name]?.condition, name).toBe('service_healthy');
      const hc = service(name).healthcheck;
      expect(hc?.disable, name).not.toBe(true);
      expect([hc?.test ?? []].flat().length, `${name} healthcheck`).toBeGreaterThan(1);
    }
  });

  it('publishes the hub port and keeps state on named volumes', () => {
    const port = required(hubEnv, 'HUB_PORT');
    const targets = (hub.ports ?? []).map((p) => (typeof p === 'object' ? String(p.target) : String(p).split(':').at(-1)?.split('/')[0]));
    expect(targets).toContain(port);
    const named = new Set(Object.keys(compose.volumes ?? {}));
    const onNamedVolume = (s: Service, dir: string) =>
      volumeTargets(s).some((v) => named.has(v.source) && (dir === v.target || dir.startsWith(`${v.target}/`)));
    expect(onNamedVolume(hub, required(hubEnv, 'HUB_STATE_DIR')), 'HUB_STATE_DIR').toBe(true);
    for (const b of brokers) expect(onNamedVolume(b.service, required(b.env, 'KAFKA_LOG_DIRS')), `${b.name} KAFKA_LOG_DIRS`).toBe(true);
    expect(
      new Set(brokers.map((b) => volumeTargets(b.service).find((v) => v.target === required(b.env, 'KAFKA_LOG_DIRS'))?.source)).size,
      'a volume per node',
    ).toBe(3);
    expect(onNamedVolume(service('postgres'), '/var/lib/postgresql/data'), 'postgres data').toBe(true);
  });

  it('gives the hub an environment loadConfig accepts', () => {
    const config = loadConfig(hubEnv, '/app');
    expect(config.http).toMatchObject({ host: '0.0.0.0', port: 8080 });
    expect(config.stateDir).toBe(hubEnv.HUB_STATE_DIR);
    expect(config.kafka.brokers).toEqual(brokerNames.map((n) => `${n}:9092`));
    expect(config.kafka.username).toBe(hubEnv.KAFKA_USERNAME);
    expect(config.kafka.password).toBe(hubEnv.KAFKA_PASSWORD);
    expect(config.registry.url).toBeNull();
  });

  it('interpolates like docker compose (test helper)', () => {
    expect(interpolate('a${X:-d}b', {})).toBe('adb');
    expect(interpolate('a${X:-d}b', { X: 'v' })).toBe('avb');
    expect(interpolate('${X:?set X}', {})).toBe(dummy('X'));
    expect(interpolate('$${X} $X', { X: 'v' })).toBe('${X} v');
    expect(kafkaEnvRaw.KAFKA_SUPER_USERS).toContain('${');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const all = (op: string) => instructions.filter((l) => l.toUpperCase().startsWith(`${op} `)).map((l) => l.slice(op.length + 1).trim());

  it('builds on node:20-bookworm-slim with every dependency installed (tsx runs the sources)', () => {
    expect(all('FROM')).toEqual(['node:20-bookworm-slim']);
    const installs = all('RUN').filter((r) => /\bnpm ci\b/.test(r));
    expect(installs).toHaveLength(1);
    expect(installs[0]).not.toMatch(/--omit[= ]dev|--production|--only[= ]prod/);
  });

  it('runs `node bin/hub.js start` as a non-root user, port 8080, with a liveness healthcheck', () => {
    const users = all('USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    expect(all('EXPOSE')).toContain('8080');
    const cmd = JSON.parse(all('CMD').at(-1) ?? 'null') as unknown;
    expect(cmd).toEqual(['node', 'bin/hub.js', 'start']);
    expect(existsSync(new URL('bin/hub.js', root))).toBe(true);
    const healthcheck = all('HEALTHCHECK').at(-1) ?? '';
    expect(healthcheck).toContain('/health/live');
    const execForm = /\bCMD (\[.*\])$/.exec(healthcheck);
    expect(execForm, 'HEALTHCHECK ... CMD [exec form]').not.toBeNull();
    expect(() => JSON.parse(execForm?.[1] ?? '')).not.toThrow();
  });

  it('.dockerignore keeps dependencies, local state, secrets and git out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.hub', '.hub-test', '.git', '.env']));
  });
});
