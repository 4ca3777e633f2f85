import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError, errorMessage } from '../platform/errors.ts';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import type { LocalSecrets } from '../platform/secrets.ts';
import { createKafkaClient, type KafkaConnection } from '../platform/kafka/client.ts';
import { createAdmin, type HubAdmin, type Replication } from '../platform/kafka/admin.ts';
import { createScramAdmin } from '../platform/kafka/scram.ts';
import { LocalBroker } from '../platform/kafka/local-broker.ts';
import { LocalCluster } from '../platform/kafka/local-cluster.ts';
import { isListening } from '../platform/net.ts';

/** The generated password of the local broker's TLS keystore, kept with the other generated secrets. */
export const tlsKeystoreSecret = 'kafka-tls-keystore';

export interface ResolvedKafka {
  connection: KafkaConnection;
  /** The broker (or local cluster) this process started and must stop; null for an external or already running one. */
  broker: { stop(): Promise<void> } | null;
}

async function readCa(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new HubError('HUB_ERR_CONFIG', `cannot read KAFKA_CA_FILE: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * KAFKA_BROKERS set: use that cluster as KAFKA_USERNAME. Unset: the local broker in the state
 * folder, started here unless `reuseRunning` finds one (the CLI beside a running hub).
 */
export async function resolveKafka(config: HubConfig, secrets: LocalSecrets, log: Logger, { reuseRunning = false } = {}): Promise<ResolvedKafka> {
  const common = { clientId: config.kafka.clientId, connectTimeoutMs: config.kafka.connectTimeoutMs, requestTimeoutMs: config.kafka.requestTimeoutMs };
  if (config.kafka.brokers) {
    const ca = config.kafka.caFile ? await readCa(config.kafka.caFile) : null;
    return {
      connection: {
        ...common,
        brokers: config.kafka.brokers,
        username: config.kafka.username ?? '',
        password: config.kafka.password ?? '',
        ...(ca ? { ca } : {}),
      },
      broker: null,
    };
  }
  const { local } = config.kafka;
  // HUB_LOCAL_BROKERS nodes: node i (from 0) on the configured ports + 2i.
  const ports = Array.from({ length: local.nodes }, (_, i) => ({ port: local.port + 2 * i, controllerPort: local.controllerPort + 2 * i }));
  const connection: KafkaConnection = {
    ...common,
    brokers: ports.map((p) => `127.0.0.1:${p.port}`),
    username: secrets.kafkaSuperUser,
    password: secrets.kafkaSuperPassword,
  };
  if (reuseRunning && (await isListening(local.port))) return { connection, broker: null };
  if (local.nodes > 1) {
    if (local.tlsPort !== null)
      throw new HubError('HUB_ERR_CONFIG', 'KAFKA_LOCAL_TLS_PORT is for the single local broker: unset it, or set HUB_LOCAL_BROKERS=1');
    const cluster = new LocalCluster({
      dir: join(config.stateDir, 'kafka-cluster'),
      ports,
      heap: local.heap,
      superUser: secrets.kafkaSuperUser,
      superPassword: secrets.kafkaSuperPassword,
      startTimeoutMs: local.startTimeoutMs,
      toolEnv: local.toolEnv,
      log,
    });
    await cluster.start();
    return { connection, broker: cluster };
  }
  const broker = new LocalBroker({
    dir: join(config.stateDir, 'kafka'),
    port: local.port,
    controllerPort: local.controllerPort,
    heap: local.heap,
    superUser: secrets.kafkaSuperUser,
    superPassword: secrets.kafkaSuperPassword,
    startTimeoutMs: local.startTimeoutMs,
    toolEnv: local.toolEnv,
    ...(local.tlsPort !== null ? { tls: { port: local.tlsPort, password: secrets.serviceUsers[tlsKeystoreSecret] ?? secrets.kafkaSuperPassword } } : {}),
    log,
  });
  await broker.start();
  return { connection, broker };
}

/** The replication the settings ask for (null: chosen from the cluster's size). */
export const replicationOf = (config: HubConfig): Replication => ({ factor: config.kafka.replicationFactor, minInsync: config.kafka.minInsyncReplicas });

/** An admin client as the hub's super user, creating topics with the configured replication. */
export function openAdmin(connection: KafkaConnection, config: HubConfig, log: Logger): Promise<HubAdmin> {
  return createAdmin({ kafka: createKafkaClient(connection, log), scram: createScramAdmin(connection), replication: replicationOf(config) });
}
