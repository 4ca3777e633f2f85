import { redactUrl } from '../../services/platform/config.ts';
import { HubError, errorMessage, isHubError } from '../../services/platform/errors.ts';
import { createKafkaClient } from '../../services/platform/kafka/client.ts';
import type { Logger } from '../../services/platform/logger.ts';
import { createRegistryClient } from '../../services/platform/registry-client.ts';
import type { DatasetSchemaJson } from '../../services/contract/dataset-schema.ts';
import { rawTopic, valueSubject } from '../../services/contract/names.ts';
import type { ConnectorConfig } from './config.ts';
import { openSourceReader } from './open-source.ts';
import { createPositionStore, type PositionStore } from './position-store.ts';
import { tableText } from './position.ts';
import { createRowMapper, type RowMapper } from './row-mapper.ts';
import type { SourceReader } from './source-reader.ts';
import { createTransactionalSink, type TransactionalSink } from './transactional-sink.ts';

/** Everything a connector talks to, opened and checked; the loop in connector.ts uses only these. */
export interface ConnectorParts {
  readonly topic: string;
  readonly schemaId: number;
  readonly reader: SourceReader;
  readonly mapper: RowMapper;
  readonly sink: TransactionalSink;
  readonly positions: PositionStore;
  close(): Promise<void>;
}

/** The innermost cause says most (fetch failed → connect ECONNREFUSED). */
function rootMessage(err: unknown): string {
  let e = err;
  for (let depth = 0; depth < 5 && (e as { cause?: unknown })?.cause !== undefined; depth++) e = (e as { cause?: unknown }).cause;
  return errorMessage(e);
}

async function latestSchema(config: ConnectorConfig, subject: string): Promise<{ id: number; schema: DatasetSchemaJson }> {
  const { url, username, password } = config.registry;
  const registry = createRegistryClient({ url, username, password });
  const at = `the schema registry at ${redactUrl(url)}`;
  let latest: { id: number; schema: string };
  try {
    latest = await registry.latest(subject);
  } catch (err) {
    if (!isHubError(err)) throw err;
    if (err.code === 'HUB_ERR_REGISTRY_UNAVAILABLE')
      throw new HubError('HUB_ERR_REGISTRY_UNAVAILABLE', `cannot reach ${at} (${rootMessage(err)}): start the hub or fix registry.url`, { cause: err });
    if (err.code === 'HUB_ERR_NOT_FOUND')
      throw new HubError(
        'HUB_ERR_CONFIG',
        `${at} has no schema for subject ${subject}: the hub registers the dataset's schema for the department's raw topic before its connector can run`,
        { cause: err },
      );
    if (err.code === 'HUB_ERR_UNAUTHENTICATED')
      throw new HubError('HUB_ERR_CONFIG', `${at} refused ${username}: check registry.username (the department) and registry.password (its API token)`, {
        cause: err,
      });
    throw err;
  }
  let schema: unknown;
  try {
    schema = JSON.parse(latest.schema);
  } catch {
    schema = null;
  }
  const s = schema as Partial<DatasetSchemaJson> | null;
  if (s?.type !== 'record' || !Array.isArray(s.fields) || !Array.isArray(s.businessKey) || s.businessKey.length === 0) {
    throw new HubError('HUB_ERR_CONFIG', `subject ${subject} does not hold a dataset schema (an Avro record with a businessKey)`);
  }
  return { id: latest.id, schema: s as DatasetSchemaJson };
}

/** The mapping names dataset fields only, and gives a column to every field that needs a value. */
function checkMapping(config: ConnectorConfig, schema: DatasetSchemaJson): void {
  const fields = new Map(schema.fields.map((f) => [f.name, f]));
  const problems: string[] = [];
  for (const field of Object.keys(config.mapping)) {
    if (!fields.has(field)) problems.push(`mapping.${field}: not a field of ${config.dataset} (fields: ${[...fields.keys()].join(', ')})`);
  }
  for (const f of schema.fields) {
    const optional = (Array.isArray(f.type) && f.type.includes('null')) || 'default' in f;
    if (!optional && !(f.name in config.mapping)) problems.push(`mapping: no column for required field "${f.name}" of ${config.dataset}`);
  }
  if (problems.length > 0) throw new HubError('HUB_ERR_CONFIG', problems.join('; '));
}

/**
 * Opens, in order, the registry (schema), the source (table and columns checked), and Kafka as
 * the department (fencing older instances). Any failure is one HubError naming what and where.
 */
export async function openConnectorParts({ config, log }: { config: ConnectorConfig; log: Logger }): Promise<ConnectorParts> {
  const topic = rawTopic(config.department, config.dataset);
  const { id: schemaId, schema } = await latestSchema(config, valueSubject(topic));
  checkMapping(config, schema);
  const registry = createRegistryClient(config.registry);
  let mapper: RowMapper;
  try {
    mapper = createRowMapper({
      connectorId: config.id,
      department: config.department,
      table: tableText(config.source.table),
      topic,
      schemaId,
      schema,
      registry,
      timeZone: config.source.timeZone,
      hasUpdatedAt: config.source.cursor.updatedAt !== null,
    });
  } catch (err) {
    throw new HubError('HUB_ERR_CONFIG', `the schema of ${config.dataset} cannot be mapped from rows: ${errorMessage(err)}`, { cause: err });
  }

  const reader = await openSourceReader({ config, tieFields: schema.businessKey, log });
  const kafka = createKafkaClient(
    {
      brokers: config.kafka.brokers,
      username: config.kafka.username,
      password: config.kafka.password,
      clientId: `hub-connector-${config.id}`,
      connectTimeoutMs: 5000,
      requestTimeoutMs: 30_000,
    },
    log,
  );
  const sink = createTransactionalSink({
    kafka,
    department: config.department,
    connectorId: config.id,
    rawTopic: topic,
    brokers: config.kafka.brokers,
    username: config.kafka.username,
    log,
  });
  try {
    await sink.open();
  } catch (err) {
    await reader.close().catch(() => undefined);
    throw err;
  }
  const positions = createPositionStore({
    kafka,
    sink,
    department: config.department,
    connectorId: config.id,
    table: config.source.table,
    cursor: config.source.cursor,
    log,
  });
  return {
    topic,
    schemaId,
    reader,
    mapper,
    sink,
    positions,
    async close() {
      await sink.close();
      await reader.close().catch((err: unknown) => log.warn({ err }, 'source did not close cleanly'));
    },
  };
}
