import type { KafkaMessage } from 'kafkajs';
import type { DatasetSchema } from '../../contract/dataset-schema.ts';
import { normalizeRecord } from '../normalize.ts';
import { checkRecord, type Finding } from '../rules/index.ts';
import { contentHash } from '../dedup.ts';
import type { Decoded } from './decode.ts';

/** A decoded record, normalized and checked, with the hash that recognises its retransmission. */
export interface Candidate {
  message: KafkaMessage;
  key: string;
  original: Record<string, unknown>;
  value: Record<string, unknown>;
  findings: Finding[];
  hash: string;
}

/** Normalize and check: each record's normalized values and what its schema's rules find in them. */
export function checkChunk(schema: DatasetSchema, decoded: readonly Decoded[]): Candidate[] {
  return decoded.map(({ message, value }) => {
    const normalized = normalizeRecord(schema.json, value);
    return {
      message,
      key: message.key?.toString() ?? '',
      original: value,
      value: normalized.value,
      findings: checkRecord(schema.json, normalized.value),
      hash: contentHash(value),
    };
  });
}
