import type { FastifyInstance } from 'fastify';
import type { Logger } from '../platform/logger.ts';
import type { LocalSecrets } from '../platform/secrets.ts';
import type { DatasetSchema } from '../contract/dataset-schema.ts';
import { createPrincipalStore } from '../principals/store.ts';
import { ensureServiceUsers, hubTopics, servicePrincipalName, serviceUsers } from './topology.ts';

/** Subjects of the dataset schemas follow Confluent's RecordNameStrategy: the record's full name. */
export function datasetSubject(schema: DatasetSchema): string {
  const json = schema.json as { name: string; namespace?: string };
  return json.name.includes('.') || !json.namespace ? json.name : `${json.namespace}.${json.name}`;
}

/** Makes sure the hub's own principal exists with this start's token (idempotent). */
export async function ensureServicePrincipal(app: FastifyInstance, token: string): Promise<void> {
  const store = createPrincipalStore({ pool: app.db });
  if (await store.byName(servicePrincipalName)) await store.setToken(servicePrincipalName, token);
  else await store.insert({ name: servicePrincipalName, role: 'service', token, kafkaUser: app.kafka.connection.username });
}

/**
 * Everything the hub needs in Kafka and the registry before it serves: its topics, its service
 * users with their ACLs, and every dataset schema registered. Safe to run on every start.
 */
export async function bootstrapHub({
  app,
  secrets,
  schemas,
  log,
}: {
  app: FastifyInstance;
  secrets: LocalSecrets;
  schemas: readonly DatasetSchema[];
  log: Logger;
}): Promise<{ topics: string[]; subjects: Record<string, number> }> {
  const { admin } = app.kafka;
  const created = await admin.ensureTopics(hubTopics);
  if (created.length > 0) log.info({ topics: created }, 'created hub topics');
  await ensureServiceUsers(admin, secrets.serviceUsers);
  const subjects: Record<string, number> = {};
  for (const schema of schemas) {
    const subject = datasetSubject(schema);
    subjects[subject] = await app.registry.register(subject, schema.text);
  }
  log.info({ subjects: Object.keys(subjects).length, serviceUsers: Object.keys(serviceUsers) }, 'hub bootstrapped');
  return { topics: hubTopics.map((t) => t.name), subjects };
}
