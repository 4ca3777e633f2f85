import type { AclBinding, TopicSpec } from '../platform/kafka/admin.ts';
import { cleanTopicPrefix, deadLetterTopic, groups, qualityAlertsTopic, rawTopicPrefix, shareTopicPrefix, topicSpecs } from '../contract/names.ts';

/** The hub's own topics; dataset topics (raw., clean., share.) are created by their services. */
export const hubTopics: readonly TopicSpec[] = [topicSpecs.deadLetter, topicSpecs.qualityAlerts];

type Grant = Omit<AclBinding, 'principal'>;

/** The hub's own Kafka users and exactly what each may do: least privilege per service. */
export const serviceUsers: Readonly<Record<string, readonly Grant[]>> = {
  'hub-ingest': [
    { resource: 'topic', name: rawTopicPrefix, pattern: 'prefixed', operation: 'write' },
    { resource: 'topic', name: rawTopicPrefix, pattern: 'prefixed', operation: 'describe' },
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
    { resource: 'cluster', name: 'kafka-cluster', operation: 'idempotent-write' },
  ],
};

export const serviceUserNames = Object.keys(serviceUsers);

/** The principal the hub itself acts as (registry client, internal calls). */
export const servicePrincipalName = 'hub-system';
