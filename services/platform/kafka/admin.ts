import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaErrorType, toHubKafkaError } from './client.ts';
import type { ScramAdmin, ScramCredential } from './scram.ts';

// kafkajs is CommonJS: Node's ESM loader does not see all of its named exports.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, ResourcePatternTypes } = kafkajs;
type AclResourceTypes = (typeof AclResourceTypes)[keyof typeof AclResourceTypes];
type AclOperationTypes = (typeof AclOperationTypes)[keyof typeof AclOperationTypes];

export interface TopicSpec {
  name: string;
  partitions?: number;
  /** Topic configs, e.g. { 'cleanup.policy': 'compact' }. */
  config?: Record<string, string>;
}

export interface TopicDescription {
  name: string;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
}

export type AclResource = 'topic' | 'group' | 'cluster' | 'transactional-id';
export type AclOperation = 'all' | 'read' | 'write' | 'create' | 'delete' | 'alter' | 'describe' | 'describe-configs' | 'alter-configs' | 'idempotent-write';

export interface AclBinding {
  /** Kafka principal name without the "User:" prefix. */
  principal: string;
  resource: AclResource;
  name: string;
  pattern?: 'literal' | 'prefixed';
  operation: AclOperation;
  permission?: 'allow' | 'deny';
}

const resourceTypes: Record<AclResource, AclResourceTypes> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
  'transactional-id': AclResourceTypes.TRANSACTIONAL_ID,
};

const operations: Record<AclOperation, AclOperationTypes> = {
  all: AclOperationTypes.ALL,
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  create: AclOperationTypes.CREATE,
  delete: AclOperationTypes.DELETE,
  alter: AclOperationTypes.ALTER,
  describe: AclOperationTypes.DESCRIBE,
  'describe-configs': AclOperationTypes.DESCRIBE_CONFIGS,
  'alter-configs': AclOperationTypes.ALTER_CONFIGS,
  'idempotent-write': AclOperationTypes.IDEMPOTENT_WRITE,
};

function toKafkaAcl(b: AclBinding) {
  return {
    resourceType: resourceTypes[b.resource],
    resourceName: b.resource === 'cluster' ? 'kafka-cluster' : b.name,
    resourcePatternType: b.pattern === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal: `User:${b.principal}`,
    host: '*',
    operation: operations[b.operation],
    permissionType: b.permission === 'deny' ? AclPermissionTypes.DENY : AclPermissionTypes.ALLOW,
  };
}

/** Topic, ACL and user administration, as the hub super user. */
export interface HubAdmin {
  /** Creates the topics that do not exist yet; returns the names it created. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<string[]>;
  deleteTopics(names: readonly string[]): Promise<void>;
  listTopics(): Promise<string[]>;
  grant(bindings: readonly AclBinding[]): Promise<void>;
  revoke(bindings: readonly AclBinding[]): Promise<void>;
  /** Every ACL whose principal is User:<principal>. */
  aclsOf(principal: string): Promise<AclBinding[]>;
  /** Every ACL of the cluster (a backup's record). */
  allAcls(): Promise<AclBinding[]>;
  /** Partitions, replicas and the configs set on each topic (not the broker's defaults). */
  describeTopics(names: readonly string[]): Promise<TopicDescription[]>;
  /** Creates the SCRAM-SHA-512 user, or rotates its password. */
  upsertUser(username: string, password: string): Promise<ScramCredential>;
  /** Sets a SCRAM credential kept from before (a restore). */
  restoreUser(username: string, credential: ScramCredential): Promise<void>;
  deleteUser(username: string): Promise<void>;
  userExists(username: string): Promise<boolean>;
  /** Records not yet consumed by a group, per topic and partition. */
  lag(groupId: string, topics: readonly string[]): Promise<{ topic: string; partition: number; lag: number }[]>;
  /** Proves the cluster answers (used by readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** How the hub's topics are replicated; a null part comes from the cluster's size. */
export interface Replication {
  factor: number | null;
  minInsync: number | null;
}

/** Replicas of a topic and how many must have a write before it is acknowledged, on a cluster of `brokers`: 3 and 2 from three on. */
export function replicationFor(brokers: number, wanted: Replication = { factor: null, minInsync: null }): { factor: number; minInsync: number } {
  const factor = wanted.factor ?? Math.min(3, Math.max(1, brokers));
  return { factor, minInsync: wanted.minInsync ?? (factor >= 3 ? 2 : 1) };
}

const reverse = <K extends string, V>(o: Record<K, V>) => new Map([...Object.entries(o)].map(([k, v]) => [v as V, k as K]));
const resourceNames = reverse(resourceTypes);
const operationNames = reverse(operations);

export async function createAdmin({ kafka, scram, replication }: { kafka: Kafka; scram: ScramAdmin; replication?: Replication }): Promise<HubAdmin> {
  const admin: Admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    throw toHubKafkaError(err, 'to connect the admin client');
  }
  // A topic deleted by someone else while kafkajs asks for all topics' metadata fails the whole
  // request with UNKNOWN_TOPIC_OR_PARTITION; asking again a moment later succeeds.
  const transient = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const type = kafkaErrorType(err);
        if (attempt < 5 && type && transient.has(type)) {
          await sleep(100 * attempt);
          continue;
        }
        throw toHubKafkaError(err, what);
      }
    }
  };
  // Sized on the first topic created: a broker down later must not make later topics less durable.
  let placement: Promise<{ factor: number; minInsync: number }> | null = null;
  const placementOf = () => {
    placement ??= admin.describeCluster().then(
      ({ brokers }) => replicationFor(brokers.length, replication),
      (err: unknown) => {
        placement = null;
        throw err;
      },
    );
    return placement;
  };
  const describeAcls = (principal: string | undefined) =>
    wrap('to describe ACLs', async () => {
      const res = await admin.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        ...(principal ? { principal } : {}),
        host: '*',
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      });
      return res.resources.flatMap((r) =>
        r.acls.map(
          (a): AclBinding => ({
            principal: a.principal.replace(/^User:/, ''),
            resource: resourceNames.get(r.resourceType) ?? 'topic',
            name: r.resourceName,
            pattern: r.resourcePatternType === ResourcePatternTypes.PREFIXED ? 'prefixed' : 'literal',
            operation: operationNames.get(a.operation) ?? 'all',
            permission: a.permissionType === AclPermissionTypes.DENY ? 'deny' : 'allow',
          }),
        ),
      );
    });
  return {
    ensureTopics: (specs) =>
      wrap('to create topics', async () => {
        const existing = new Set(await admin.listTopics());
        const missing = specs.filter((s) => !existing.has(s.name));
        if (missing.length === 0) return [];
        const { factor, minInsync } = await placementOf();
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((s) => ({
            topic: s.name,
            numPartitions: s.partitions ?? 3,
            replicationFactor: factor,
            configEntries: Object.entries({ 'min.insync.replicas': String(minInsync), ...s.config }).map(([name, value]) => ({ name, value })),
          })),
        });
        return missing.map((s) => s.name);
      }),
    deleteTopics: (names) => wrap('to delete topics', () => admin.deleteTopics({ topics: [...names] })),
    listTopics: () => wrap('to list topics', () => admin.listTopics()),
    grant: (bindings) => wrap('to create ACLs', async () => void (await admin.createAcls({ acl: bindings.map(toKafkaAcl) }))),
    revoke: (bindings) =>
      wrap('to delete ACLs', async () => {
        if (bindings.length > 0) await admin.deleteAcls({ filters: bindings.map(toKafkaAcl) });
      }),
    aclsOf: (principal) => describeAcls(`User:${principal}`),
    allAcls: () => describeAcls(undefined),
    describeTopics: (names) =>
      wrap('to describe topics', async () => {
        if (names.length === 0) return [];
        const { topics } = await admin.fetchTopicMetadata({ topics: [...names] });
        const configs = await admin.describeConfigs({
          includeSynonyms: false,
          resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
        });
        return topics.map((t) => {
          const entries = configs.resources.find((r) => r.resourceName === t.name)?.configEntries ?? [];
          return {
            name: t.name,
            partitions: t.partitions.length,
            replicationFactor: t.partitions[0]?.replicas.length ?? 0,
            config: Object.fromEntries(
              entries.filter((e) => (e.configSource === undefined ? !e.isDefault : e.configSource === 1)).map((e) => [e.configName, e.configValue]),
            ),
          };
        });
      }),
    upsertUser: (u, p) => scram.upsert(u, p),
    restoreUser: (u, c) => scram.restore(u, c),
    deleteUser: (u) => scram.remove(u),
    userExists: (u) => scram.exists(u),
    lag: (groupId, topics) =>
      wrap('to read consumer lag', async () => {
        if (topics.length === 0) return [];
        const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
        const out: { topic: string; partition: number; lag: number }[] = [];
        for (const { topic, partitions } of committed) {
          const ends = await admin.fetchTopicOffsets(topic);
          for (const p of partitions) {
            const end = Number(ends.find((e) => e.partition === p.partition)?.high ?? 0);
            const at = Number(p.offset) < 0 ? Number(ends.find((e) => e.partition === p.partition)?.low ?? 0) : Number(p.offset);
            out.push({ topic, partition: p.partition, lag: Math.max(0, end - at) });
          }
        }
        return out;
      }),
    ping: () => wrap('to describe the cluster', async () => void (await admin.describeCluster())),
    close: () => admin.disconnect(),
  };
}
