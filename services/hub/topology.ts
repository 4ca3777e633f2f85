import type { AclBinding, TopicSpec } from '../platform/kafka/admin.ts';

const day = 24 * 60 * 60 * 1000; // ms

/** The hub's own topics; dataset topics (raw., clean., share.) are created by their services. */
export const hubTopics: readonly TopicSpec[] = [
  { name: 'hub.dead-letter', partitions: 3, config: { 'retention.ms': String(90 * day) } },
  { name: 'quality.alerts', partitions: 3, config: { 'retention.ms': String(3 * 365 * day) } },
];

type Grant = Omit<AclBinding, 'principal'>;

/** The hub's own Kafka users and exactly what each may do: least privilege per service. */
export const serviceUsers: Readonly<Record<string, readonly Grant[]>> = {
  'hub-ingest': [
    { resource: 'topic', name: 'raw.', pattern: 'prefixed', operation: 'write' },
    { resource: 'topic', name: 'raw.', pattern: 'prefixed', operation: 'describe' },
    { resource: 'topic', name: 'hub.dead-letter', operation: 'write' },
    { resource: 'cluster', name: 'kafka-cluster', operation: 'idempotent-write' },
  ],
  'hub-cleansing': [
    { resource: 'topic', name: 'raw.', pattern: 'prefixed', operation: 'read' },
    { resource: 'topic', name: 'raw.', pattern: 'prefixed', operation: 'describe' },
    { resource: 'group', name: 'hub-cleansing', pattern: 'prefixed', operation: 'read' },
    { resource: 'topic', name: 'clean.', pattern: 'prefixed', operation: 'write' },
    { resource: 'topic', name: 'quality.alerts', operation: 'write' },
    { resource: 'topic', name: 'hub.dead-letter', operation: 'write' },
    { resource: 'cluster', name: 'kafka-cluster', operation: 'idempotent-write' },
  ],
  'hub-policy': [
    { resource: 'topic', name: 'clean.', pattern: 'prefixed', operation: 'read' },
    { resource: 'topic', name: 'clean.', pattern: 'prefixed', operation: 'describe' },
    { resource: 'group', name: 'hub-policy', pattern: 'prefixed', operation: 'read' },
    { resource: 'topic', name: 'share.', pattern: 'prefixed', operation: 'write' },
    { resource: 'cluster', name: 'kafka-cluster', operation: 'idempotent-write' },
  ],
};

export const serviceUserNames = Object.keys(serviceUsers);

/** The principal the hub itself acts as (registry client, internal calls). */
export const servicePrincipalName = 'hub-system';
