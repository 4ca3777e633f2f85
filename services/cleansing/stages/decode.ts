import type { KafkaMessage } from 'kafkajs';
import type { RawRecordCheck, RawTarget } from '../../contract/raw-record.ts';

export interface Decoded {
  message: KafkaMessage;
  value: Record<string, unknown>;
}

/**
 * Decode: the chunk's records that are what their raw topic promises, and the newest schema they
 * were written with. The raw-topic validator dead-letters the others; cleansing steps over them.
 */
export async function decodeChunk(
  check: RawRecordCheck,
  target: RawTarget,
  messages: readonly KafkaMessage[],
): Promise<{ good: Decoded[]; rejected: number; newestWriterId: number }> {
  const good: Decoded[] = [];
  let newestWriterId = 0;
  for (const message of messages) {
    const verdict = await check.check(target, message);
    if (!verdict.ok) continue;
    newestWriterId = Math.max(newestWriterId, verdict.schemaId);
    good.push({ message, value: verdict.value });
  }
  return { good, rejected: messages.length - good.length, newestWriterId };
}
