import type { AclBinding, HubAdmin, TopicSpec } from '../platform/kafka/admin.ts';
import type { KafkaConnection } from '../platform/kafka/client.ts';
import { HubError } from '../platform/errors.ts';
import type { HubConfig } from '../platform/config.ts';
import { join } from 'node:path';
import { cleanTopicPrefix, deadLetterTopic, groups, qualityAlertsTopic, rawTopicPrefix, shareTopicPrefix, topicSpecs } from '../contract/names.ts';

/** The hub's own topics; dataset topics (raw., clean., share.) are created by their services. */
export const hubTopics: readonly TopicSpec[] = [topicSpecs.deadLetter, topicSpecs.qualityAlerts];

type Grant = Omit<AclBinding, 'principal'>;

/** The hub's own Kafka users and exactly what each may do: least privilege per service. */
export const serviceUsers: Readonly<Record<string, readonly Grant[]>> = {
  // HTTP and file ingest write raw topics; the raw-topic validator reads them and writes dead letters.
  'hub-ingest': [
    { resource: 'topic', name: rawTopicPrefix, pattern: 'prefixed', operation: 'write' },
    { resource: 'topic', name: rawTopicPrefix, pattern: 'prefixed', operation: 'describe' },
    { resource: 'topic', name: rawTopicPrefix, pattern: 'prefixed', operation: 'read' },
    { resource: 'group', name: groups.validator, pattern: 'prefixed', operation: 'read' },
    { resource: 'topic', name: deadLetterTopic, operation: 'write' },
    { resource: 'cluster', name: 'kafka-cluster', operation: 'idempotent-write' },
  ],
  'hub-cleansing': [
    { resource: 'topic', name: rawTopicPrefix, pattern: 'prefixed', operation: 'read' },
    { resource: 'topic', name: rawTopicPrefix, pattern: 'prefixed', operation: 'describe' },
    { resource: 'group', name: groups.cleansing, pattern: 'prefixed', operation: 'read' },
    { resource: 'topic', name: cleanTopicPrefix, pattern: 'prefixed', operation: 'write' },
    { resource: 'topic', name: qualityAlertsTopic, operation: 'write' },
    { resource: 'topic', name: deadLetterTopic, operation: 'write' },
    { resource: 'cluster', name: 'kafka-cluster', operation: 'idempotent-write' },
  ],
  'hub-policy': [
    { resource: 'topic', name: cleanTopicPrefix, pattern: 'prefixed', operation: 'read' },
    { resource: 'topic', name: cleanTopicPrefix, pattern: 'prefixed', operation: 'describe' },
    { resource: 'group', name: groups.shareStreamer, pattern: 'prefixed', operation: 'read' },
    { resource: 'topic', name: shareTopicPrefix, pattern: 'prefixed', operation: 'write' },
    // The streamer's transactions: its transactional id is its group id.
    { resource: 'transactional-id', name: groups.shareStreamer, pattern: 'prefixed', operation: 'write' },
    { resource: 'transactional-id', name: groups.shareStreamer, pattern: 'prefixed', operation: 'describe' },
    { resource: 'cluster', name: 'kafka-cluster', operation: 'idempotent-write' },
  ],
};

export const serviceUserNames = Object.keys(serviceUsers);

/** The principal the hub itself acts as (registry client, internal calls). */
export const servicePrincipalName = 'hub-system';

/** The hub's Kafka service users by the work they do. */
export const serviceUserOf = { ingest: 'hub-ingest', cleansing: 'hub-cleansing', sharing: 'hub-policy' } as const;

/** Creates (or re-passwords) the hub's service users and grants each exactly its ACLs. Idempotent. */
export async function ensureServiceUsers(
  admin: HubAdmin,
  passwords: Readonly<Record<string, string>>,
  { cleansingGroup = groups.cleansing }: { cleansingGroup?: string } = {},
): Promise<void> {
  for (const [user, grants] of Object.entries(serviceUsers)) {
    const password = passwords[user];
    if (!password) throw new HubError('HUB_ERR_CONFIG', `no generated secret for service user ${user}`);
    await admin.upsertUser(user, password);
    // HUB_CLEANSING_GROUP may name another group: cleansing may read that one too, nothing more.
    const extra: Grant[] = user === serviceUserOf.cleansing ? [{ resource: 'group', name: cleansingGroup, pattern: 'prefixed', operation: 'read' }] : [];
    await admin.grant([...grants, ...extra].map((g) => ({ ...g, principal: user })));
  }
}

/** Each kind of work's connection: the admin connection's brokers, as that work's service user. */
export function serviceConnections(admin: KafkaConnection, passwords: Readonly<Record<string, string>>): Record<keyof typeof serviceUserOf, KafkaConnection> {
  const as = (user: string): KafkaConnection => ({ ...admin, username: user, password: passwords[user] ?? '' });
  return { ingest: as(serviceUserOf.ingest), cleansing: as(serviceUserOf.cleansing), sharing: as(serviceUserOf.sharing) };
}

/** The generated password of the Postgres application role is kept beside the Kafka service users'. */
export function databaseRoleSecret(config: HubConfig): string {
  return `postgres:${config.database.appRole}`;
}

/** The audit trail's head outside the database, one file per hub schema in the state folder. */
export function auditHeadFile(config: HubConfig): string {
  return join(config.stateDir, `audit-head.${config.database.schema}.json`);
}
