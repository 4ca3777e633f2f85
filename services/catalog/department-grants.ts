import type { AclBinding, TopicSpec } from '../platform/kafka/admin.ts';
import { connectorDeadLetterTopic, connectorOffsetsTopic, connectorTransactionalPrefix, topicSpecs } from '../contract/names.ts';

/** Topics every department gets at onboarding: its connectors' offsets and rejected rows. */
export function departmentTopics(department: string): TopicSpec[] {
  return [topicSpecs.connectorOffsets(department), topicSpecs.connectorDeadLetter(department)];
}

/**
 * What a department may do in Kafka beyond its raw topics: idempotent and transactional writes
 * (its connectors' transactional ids), and its own connector topics and groups. Nothing else.
 */
export function departmentGrants(department: string): AclBinding[] {
  const principal = department;
  const prefix = connectorTransactionalPrefix(department);
  return [
    { principal, resource: 'cluster', name: 'kafka-cluster', operation: 'idempotent-write' },
    { principal, resource: 'transactional-id', name: prefix, pattern: 'prefixed', operation: 'write' },
    { principal, resource: 'transactional-id', name: prefix, pattern: 'prefixed', operation: 'describe' },
    { principal, resource: 'group', name: prefix, pattern: 'prefixed', operation: 'read' },
    ...(['read', 'write', 'describe'] as const).map((operation) => ({
      principal,
      resource: 'topic' as const,
      name: connectorOffsetsTopic(department),
      operation,
    })),
    ...(['write', 'describe'] as const).map((operation) => ({ principal, resource: 'topic' as const, name: connectorDeadLetterTopic(department), operation })),
  ];
}

/** WRITE and DESCRIBE on exactly one raw topic of the department. */
export function rawTopicGrants(department: string, topic: string): AclBinding[] {
  return (['write', 'describe'] as const).map((operation) => ({ principal: department, resource: 'topic' as const, name: topic, operation }));
}
