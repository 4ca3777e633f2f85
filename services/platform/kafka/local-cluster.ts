import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../logger.ts';
import { HubError } from '../errors.ts';
import { LocalBroker } from './local-broker.ts';
import { replicationFor } from './admin.ts';

export interface LocalClusterOptions {
  /** Folder of the cluster; node i keeps its data, config and logs in `<dir>/node-<i>`. */
  dir: string;
  /** Each node's client and controller port, node 1 first. */
  ports: readonly { port: number; controllerPort: number }[];
  /** Heap of each node's JVM. */
  heap: string;
  superUser: string;
  superPassword: string;
  startTimeoutMs: number;
  toolEnv: Readonly<Record<string, string>>;
  log: Logger;
}

/**
 * A KRaft cluster on this machine: every node a broker and a controller voter, all formatted with
 * one cluster id and the same SCRAM super user, topics replicated as `replicationFor` says. Nodes
 * start together (a voter waits for a quorum), and each can be killed and started again alone.
 */
export class LocalCluster {
  readonly brokers: readonly string[];
  readonly #nodes: LocalBroker[];

  constructor(opts: LocalClusterOptions) {
    if (opts.ports.length < 1) throw new HubError('HUB_ERR_CONFIG', 'a local cluster needs at least one node');
    // The id is written into each node's storage at format time; a restarted node keeps its own.
    const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A');
    const voters = opts.ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controllerPort}`).join(',');
    const { factor: replication, minInsync: minIsr } = replicationFor(opts.ports.length);
    this.#nodes = opts.ports.map(
      (p, i) =>
        new LocalBroker({
          dir: join(opts.dir, `node-${i + 1}`),
          port: p.port,
          controllerPort: p.controllerPort,
          heap: opts.heap,
          superUser: opts.superUser,
          superPassword: opts.superPassword,
          startTimeoutMs: opts.startTimeoutMs,
          toolEnv: opts.toolEnv,
          node: { id: i + 1, voters, clusterId, replication, minIsr },
          log: opts.log.child({ node: i + 1 }),
        }),
    );
    this.brokers = this.#nodes.flatMap((n) => n.brokers);
  }

  get size(): number {
    return this.#nodes.length;
  }

  async start(): Promise<void> {
    const started = await Promise.allSettled(this.#nodes.map((n) => n.start()));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.stop();
      throw failed.reason;
    }
  }

  /** SIGKILL of one node (1-based), as a crashed machine. */
  kill(node: number): Promise<void> {
    return this.#node(node).kill();
  }

  /** Starts a killed or stopped node again on its own data. */
  restart(node: number): Promise<void> {
    return this.#node(node).start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#nodes.map((n) => n.stop()));
  }

  #node(node: number): LocalBroker {
    const n = this.#nodes[node - 1];
    if (!n) throw new HubError('HUB_ERR_CONFIG', `the local cluster has no node ${node}`);
    return n;
  }
}
