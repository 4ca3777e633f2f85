import type { Dedup } from '../dedup.ts';
import type { Candidate } from './check.ts';

/**
 * De-duplicate, fast path: drops what Redis already knows to be a retransmission, and repeats within
 * the chunk, before any locking. Postgres decides the rest inside the transaction (Dedup.truth).
 */
export async function dropKnownRetransmissions(
  dedup: Dedup,
  source: { dataset: string; provider: string },
  candidates: readonly Candidate[],
): Promise<{ fresh: Candidate[]; duplicates: number }> {
  const known = await dedup.fastPath(source.dataset, source.provider, [...new Set(candidates.map((c) => c.key))]);
  const seenInChunk = new Map<string, string>();
  const fresh = candidates.filter((c) => {
    const last = seenInChunk.get(c.key) ?? known.get(c.key);
    seenInChunk.set(c.key, c.hash);
    return last !== c.hash;
  });
  return { fresh, duplicates: candidates.length - fresh.length };
}
