import type { TopicSpec } from '../platform/kafka/admin.ts';

/**
 * Every topic, subject and consumer-group name the hub and its connectors use, with their parsers
 * and one topic spec per topic: nothing else spells them. Department names have no dots, so the
 * dot-separated names parse back unambiguously.
 */

const day = 24 * 60 * 60 * 1000; // ms

/** A department's name is part of its topic and subject names (raw.<department>.<dataset>). */
export const departmentNamePattern = /^[a-z][a-z0-9-]{1,39}$/;
export const datasetIdPattern = /^(base|theme)\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/** A catalog entry's id and resource code: one pattern, unique per provider and dataset. */
export function entryId(provider: string, dataset: string): string {
  return `${provider}.${dataset}`;
}

/** A provider department's records of one dataset, in the Confluent wire format, keyed by business key. */
export function rawTopic(provider: string, dataset: string): string {
  return `raw.${provider}.${dataset}`;
}

/** Prefix of every raw topic (for prefixed ACLs). */
export const rawTopicPrefix = 'raw.';

export function parseRawTopic(topic: string): { provider: string; dataset: string } | null {
  const m = /^raw\.([a-z][a-z0-9-]{1,39})\.((?:base|theme)\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*)$/.exec(topic);
  return m ? { provider: m[1] as string, dataset: m[2] as string } : null;
}

/** Confluent's TopicNameStrategy. */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** The department of a raw topic's value subject, parsed exactly; null for any other subject. */
export function parseRawSubject(subject: string): { provider: string; dataset: string } | null {
  if (!subject.endsWith('-value')) return null;
  return parseRawTopic(subject.slice(0, -'-value'.length));
}

/** The merged, cleansed records of a dataset with their lineage: compacted, keyed by business key. */
export function cleanTopic(dataset: string): string {
  return `clean.${dataset}`;
}

export const cleanTopicPrefix = 'clean.';

/** A grant's field-minimised, masked copy of one dataset, readable only by its consumer. */
export function shareTopic(grantId: string, dataset: string): string {
  return `share.${grantId}.${dataset}`;
}

export const shareTopicPrefix = 'share.';

/** The consumer's group ids (and so its group ACL) start with this. */
export function shareGroupPrefix(grantId: string): string {
  return `share.${grantId}.`;
}

/** Raw records that cannot be decoded or do not fit their subject, with the reason in headers. */
export const deadLetterTopic = 'hub.dead-letter';

/** Quality alerts for stewards (Avro); kept 3 years like the audit trail (Quanzhou 8(4)). */
export const qualityAlertsTopic = 'quality.alerts';

/** Kafka transactional ids and group ids of a department's database connectors. */
export function connectorTransactionalPrefix(department: string): string {
  return `connect.${department}.`;
}

export function connectorOffsetsTopic(department: string): string {
  return `connect.${department}.offsets`;
}

/** A department's dead-letter topic for rows its own connectors could not map (their reasons in headers). */
export function connectorDeadLetterTopic(department: string): string {
  return `connect.${department}.dead-letter`;
}

/** Consumer groups of the hub's own workers (and the prefix of their ACLs). */
export const groups = {
  validator: 'hub-ingest-validator',
  cleansing: 'hub-cleansing',
  shareStreamer: 'hub-policy',
} as const;

/** One spec per topic the hub creates. */
export const topicSpecs = {
  deadLetter: { name: deadLetterTopic, partitions: 3, config: { 'retention.ms': String(90 * day) } },
  qualityAlerts: { name: qualityAlertsTopic, partitions: 3, config: { 'retention.ms': String(3 * 365 * day) } },
  raw: (provider: string, dataset: string, partitions: number): TopicSpec => ({ name: rawTopic(provider, dataset), partitions }),
  clean: (dataset: string): TopicSpec => ({
    name: cleanTopic(dataset),
    partitions: 3,
    config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' },
  }),
  share: (grantId: string, dataset: string): TopicSpec => ({
    name: shareTopic(grantId, dataset),
    partitions: 3,
    config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' },
  }),
  connectorOffsets: (department: string): TopicSpec => ({ name: connectorOffsetsTopic(department), partitions: 1, config: { 'cleanup.policy': 'compact' } }),
  connectorDeadLetter: (department: string): TopicSpec => ({
    name: connectorDeadLetterTopic(department),
    partitions: 1,
    config: { 'retention.ms': String(90 * day) },
  }),
} as const satisfies Record<string, TopicSpec | ((...args: never[]) => TopicSpec)>;
