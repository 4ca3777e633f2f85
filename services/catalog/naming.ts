/**
 * Names the hub derives, in one place: every path that writes or reads department data agrees on
 * them. Department names have no dots, so the dot-separated topic names parse back unambiguously.
 */
export const departmentNamePattern = /^[a-z][a-z0-9-]{1,39}$/;
export const datasetIdPattern = /^(base|theme)\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

export function rawTopic(provider: string, dataset: string): string {
  return `raw.${provider}.${dataset}`;
}

export function parseRawTopic(topic: string): { provider: string; dataset: string } | null {
  const m = /^raw\.([a-z][a-z0-9-]{1,39})\.((?:base|theme)\.[a-z0-9_]+)$/.exec(topic);
  return m ? { provider: m[1] as string, dataset: m[2] as string } : null;
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
