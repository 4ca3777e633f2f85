import type { Kafka, Message, Producer } from 'kafkajs';
import { HubError, errorMessage, isNetworkError } from '../../services/platform/errors.ts';
import { kafkaErrorType, toHubKafkaError } from '../../services/platform/kafka/client.ts';
import type { OutgoingRecord } from '../../services/platform/kafka/producer.ts';
import type { Logger } from '../../services/platform/logger.ts';
import { connectorOffsetsTopic, connectorTransactionalPrefix } from '../../services/contract/names.ts';
import { connectorDeadLetterTopic } from '../../services/contract/names.ts';
import type { StoredPosition } from './position.ts';

export interface SinkBatch {
  records: readonly OutgoingRecord[];
  deadLetters: readonly OutgoingRecord[];
  position: StoredPosition;
}

/**
 * Writes a batch's records, its dead letters and the connector's new position in one Kafka
 * transaction: a read_committed reader sees all of them or none, so a crash anywhere leaves
 * either the old position and no records, or the new position and all of them.
 */
export interface TransactionalSink {
  /** Connects and fences older instances with the same transactional id (their open transaction is aborted). */
  open(): Promise<void>;
  commit(batch: SinkBatch): Promise<void>;
  /** One record in the offsets topic, in a transaction of its own. */
  writeOffsetsRecord(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

export interface TransactionalSinkOptions {
  kafka: Kafka;
  department: string;
  connectorId: string;
  rawTopic: string;
  /** For messages: where Kafka is and who the connector is there. */
  brokers: readonly string[];
  username: string;
  log: Logger;
}

function toMessage(r: OutgoingRecord): Message {
  return { key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp === undefined ? undefined : String(r.timestamp) };
}

export function createTransactionalSink(options: TransactionalSinkOptions): TransactionalSink {
  const { kafka, department, connectorId, rawTopic, brokers, username, log } = options;
  const transactionalId = `${connectorTransactionalPrefix(department)}${connectorId}`;
  const offsetsTopic = connectorOffsetsTopic(department);
  const deadLetterTopic = connectorDeadLetterTopic(department);
  let producer: Producer | null = null;

  /** Start-up failures name the broker, the user and what to do. */
  function startError(err: unknown): HubError {
    const type = kafkaErrorType(err);
    const at = `Kafka at ${brokers.join(',')}`;
    if (type === 'SASL_AUTHENTICATION_FAILED')
      return new HubError('HUB_ERR_CONFIG', `${at} refused the login of ${username}: check kafka.username and kafka.password`, { cause: err });
    if (type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' || type === 'CLUSTER_AUTHORIZATION_FAILED') {
      return new HubError(
        'HUB_ERR_FORBIDDEN',
        `${at} refused ${username} the transactional id ${transactionalId} (${type}): the department's grants (departmentGrants) are missing`,
        { cause: err },
      );
    }
    if (type?.endsWith('AUTHORIZATION_FAILED'))
      return new HubError('HUB_ERR_FORBIDDEN', `${at} refused ${username} (${type}): the department's grants are missing`, { cause: err });
    if (isNetworkError(err) || /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|Connection (error|timeout)/i.test(errorMessage(err))) {
      return new HubError('HUB_ERR_KAFKA_UNAVAILABLE', `cannot reach ${at} as ${username} (${errorMessage(err)}): start the broker or fix kafka.brokers`, {
        cause: err,
      });
    }
    return toHubKafkaError(err, `to start the connector's producer as ${username}`);
  }

  async function checkTopics(): Promise<void> {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const visible = new Set(await admin.listTopics());
      const missing = [rawTopic, offsetsTopic, deadLetterTopic].filter((t) => !visible.has(t));
      if (missing.length > 0) {
        throw new HubError(
          'HUB_ERR_CONFIG',
          `topic ${missing.join(', ')} does not exist or ${username} may not see it: the hub creates a department's topics and grants them when it onboards the department and its dataset`,
        );
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async function open(): Promise<void> {
    await close();
    const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    try {
      await p.connect();
      await checkTopics();
      // The first transaction registers the transactional id (InitProducerId): the coordinator bumps
      // its epoch, which fences any older instance and aborts (or finishes committing) its open
      // transaction before answering. No partition is added, so the abort sends nothing.
      const fence = await p.transaction();
      await fence.abort();
    } catch (err) {
      await p.disconnect().catch(() => undefined);
      throw err instanceof HubError ? err : startError(err);
    }
    producer = p;
    log.debug({ transactionalId }, 'transactional producer ready');
  }

  async function inTransaction(what: string, topicMessages: { topic: string; messages: Message[] }[]): Promise<void> {
    if (!producer) throw new HubError('HUB_ERR_KAFKA_UNAVAILABLE', 'the connector producer is not open');
    const txn = await producer.transaction().catch((err: unknown) => {
      throw toHubKafkaError(err, `to begin a transaction ${what}`);
    });
    try {
      await txn.sendBatch({ acks: -1, topicMessages: topicMessages.filter((t) => t.messages.length > 0) });
      await txn.commit();
    } catch (err) {
      if (txn.isActive()) await txn.abort().catch(() => undefined);
      throw toHubKafkaError(err, `to commit a transaction ${what}`);
    }
  }

  async function close(): Promise<void> {
    const p = producer;
    producer = null;
    await p?.disconnect().catch(() => undefined);
  }

  return {
    open,
    commit: ({ records, deadLetters, position }) =>
      inTransaction(`to ${rawTopic}`, [
        { topic: rawTopic, messages: records.map(toMessage) },
        { topic: deadLetterTopic, messages: deadLetters.map(toMessage) },
        { topic: offsetsTopic, messages: [{ key: connectorId, value: JSON.stringify(position) }] },
      ]),
    writeOffsetsRecord: (key, value) => inTransaction(`to ${offsetsTopic}`, [{ topic: offsetsTopic, messages: [{ key, value }] }]),
    close,
  };
}
