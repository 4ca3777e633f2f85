/**
 * Names the hub derives, in one place: every path that writes or reads department data agrees on
 * them. Department names have no dots, so the dot-separated topic names parse back unambiguously.
 */
export { departmentNamePattern } from '../principals/store.ts';
export const datasetIdPattern = /^(base|theme)\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/** A catalog entry's id and resource code: one pattern, unique per provider and dataset. */
export function entryId(provider: string, dataset: string): string {
  return `${provider}.${dataset}`;
}

export function rawTopic(provider: string, dataset: string): string {
  return `raw.${provider}.${dataset}`;
}

export function parseRawTopic(topic: string): { provider: string; dataset: string } | null {
  const m = /^raw\.([a-z][a-z0-9-]{1,39})\.((?:base|theme)\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*)$/.exec(topic);
  return m ? { provider: m[1] as string, dataset: m[2] as string } : null;
}

/** The department of a raw topic's value subject, parsed exactly; null for any other subject. */
export function parseRawSubject(subject: string): { provider: string; dataset: string } | null {
  if (!subject.endsWith('-value')) return null;
  return parseRawTopic(subject.slice(0, -'-value'.length));
}

/** Confluent's TopicNameStrategy. */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** Kafka transactional ids and the offsets topic of a department's database connectors. */
export function connectorTransactionalPrefix(department: string): string {
  return `connect.${department}.`;
}

export function connectorOffsetsTopic(department: string): string {
  return `connect.${department}.offsets`;
}
