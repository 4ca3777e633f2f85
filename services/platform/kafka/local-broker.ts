import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.ts';
import { HubError, errorMessage } from '../errors.ts';
import { createKafkaClient } from './client.ts';
import { isListening } from '../net.ts';

const startScript = fileURLToPath(new URL('../../../ops/kafka/start.sh', import.meta.url));

export interface LocalBrokerOptions {
  /** Folder for the broker's data, rendered config and logs. */
  dir: string;
  port: number;
  controllerPort: number;
  heap: string;
  superUser: string;
  superPassword: string;
  startTimeoutMs: number;
  /** Also a SASL_SSL listener on this port, its certificate from a CA generated into `<dir>/tls` (ca.pem for clients). */
  tls?: { port: number; password: string };
  /** As one node of a cluster (LocalCluster): its id, every voter, the shared cluster id, topics' replication. */
  node?: { id: number; voters: string; clusterId: string; replication: number; minIsr: number };
  /** PATH, HOME and JAVA_HOME for the broker's script (config.kafka.local.toolEnv); nothing else is inherited. */
  toolEnv: Readonly<Record<string, string>>;
  log: Logger;
}

/**
 * The hub's own Apache Kafka broker (ops/kafka/start.sh) in its own process group. The script
 * also watches this process, so a hub killed with SIGKILL leaves no broker behind.
 */
export class LocalBroker {
  readonly brokers: readonly string[];
  /** The SASL_SSL listener, when asked for: its address and the CA certificate (PEM file) clients trust. */
  readonly tls: { brokers: readonly string[]; caFile: string } | null;
  #child: ChildProcess | null = null;
  #exited: Promise<unknown> | null = null;
  readonly #opts: LocalBrokerOptions;
  readonly #log: Logger;

  constructor(opts: LocalBrokerOptions) {
    this.#opts = opts;
    this.#log = opts.log.child({ module: 'local-broker' });
    this.brokers = [`127.0.0.1:${opts.port}`];
    this.tls = opts.tls ? { brokers: [`127.0.0.1:${opts.tls.port}`], caFile: join(opts.dir, 'tls', 'ca.pem') } : null;
  }

  async start(): Promise<void> {
    const { dir, port, controllerPort, heap, superUser, superPassword, startTimeoutMs } = this.#opts;
    for (const p of [port, controllerPort]) {
      if (await isListening(p)) {
        throw new HubError(
          'HUB_ERR_STARTUP',
          `port ${p} on 127.0.0.1 is already in use (another hub running?): stop it, or set KAFKA_LOCAL_PORT and KAFKA_LOCAL_CONTROLLER_PORT to free ports`,
        );
      }
    }
    this.#log.info({ port, dir }, 'starting local Kafka broker');
    const child = spawn('bash', [startScript, dir], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...this.#opts.toolEnv,
        KAFKA_CLIENT_PORT: String(port),
        KAFKA_CONTROLLER_PORT: String(controllerPort),
        KAFKA_SUPER_USER: superUser,
        KAFKA_SUPER_PASSWORD: superPassword,
        KAFKA_WATCH_PID: String(process.pid),
        KAFKA_HEAP: heap,
        ...(this.#opts.node
          ? {
              KAFKA_NODE_ID: String(this.#opts.node.id),
              KAFKA_VOTERS: this.#opts.node.voters,
              KAFKA_CLUSTER_ID: this.#opts.node.clusterId,
              KAFKA_REPLICATION: String(this.#opts.node.replication),
              KAFKA_MIN_ISR: String(this.#opts.node.minIsr),
            }
          : {}),
        ...(this.#opts.tls ? { KAFKA_TLS_PORT: String(this.#opts.tls.port), KAFKA_TLS_PASSWORD: this.#opts.tls.password } : {}),
      },
    });
    this.#child = child;
    this.#exited = once(child, 'exit');
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
      // Broker warnings and the script's own messages matter; bash's job notices ("Terminated") do not.
      for (const line of chunk.split('\n').filter(Boolean)) {
        const level = line.startsWith('[kafka') || line.startsWith('hub:') ? 'warn' : 'debug';
        this.#log[level]({ broker: line.slice(0, 500) }, 'broker says');
      }
    });

    const deadline = Date.now() + startTimeoutMs;
    let dead = false;
    void this.#exited.then(() => {
      dead = true;
    });
    const kafka = createKafkaClient(
      { brokers: this.brokers, username: superUser, password: superPassword, clientId: 'hub-readiness', connectTimeoutMs: 2000, requestTimeoutMs: 5000 },
      this.#log.child({ level: 'fatal' }),
    );
    let lastError = 'not listening yet';
    while (Date.now() < deadline) {
      if (dead) {
        const tail = await readFile(join(dir, 'logs', 'server.log'), 'utf8').then(
          (s) => s.split('\n').slice(-15).join('\n'),
          () => '',
        );
        throw new HubError(
          'HUB_ERR_STARTUP',
          `the local Kafka broker exited during start-up (${stderr.trim().split('\n').pop() ?? 'no output'}); see ${join(dir, 'logs')}${tail ? `\n${tail}` : ''}`,
        );
      }
      if (await isListening(port)) {
        const admin = kafka.admin({ retry: { retries: 0 } });
        try {
          await admin.connect();
          await admin.describeCluster();
          await admin.disconnect();
          this.#log.info({ brokers: this.brokers }, 'local Kafka broker is ready');
          return;
        } catch (err) {
          lastError = errorMessage(err);
          await admin.disconnect().catch(() => undefined);
        }
      }
      await sleep(250);
    }
    await this.stop();
    throw new HubError('HUB_ERR_STARTUP', `the local Kafka broker did not become ready within ${startTimeoutMs} ms (${lastError}); see ${join(dir, 'logs')}`);
  }

  /** SIGKILL to the whole process group at once: a crash, not a shutdown (failure tests). */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      return;
    }
    await this.#exited;
    await this.#groupGone(-child.pid);
    this.#child = null;
  }

  async #groupGone(group: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(group, 0);
      } catch {
        return;
      }
      await sleep(100);
    }
  }

  /** SIGTERM to the whole process group, then SIGKILL if it has not exited in time. */
  async stop(timeoutMs = 20_000): Promise<void> {
    const child = this.#child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const group = -child.pid;
    try {
      process.kill(group, 'SIGTERM');
    } catch {
      return;
    }
    const timer = sleep(timeoutMs).then(() => 'timeout' as const);
    if ((await Promise.race([this.#exited, timer])) === 'timeout') {
      this.#log.warn('local Kafka broker did not stop in time; killing it');
      try {
        process.kill(group, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // The JVM may outlive the script by a moment; wait until the group is empty.
    await this.#groupGone(group);
    this.#child = null;
  }
}
