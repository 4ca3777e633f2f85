import type { Type } from 'avsc';
import { errorMessage } from '../platform/errors.ts';
import { compatibilityLevels, type CompatibilityLevel } from './types.ts';

export function parseCompatibilityLevel(value: unknown): CompatibilityLevel | null {
  if (typeof value !== 'string') return null;
  const upper = value.trim().toUpperCase();
  return (compatibilityLevels as readonly string[]).includes(upper) ? (upper as CompatibilityLevel) : null;
}

export function isTransitive(level: CompatibilityLevel): boolean {
  return level.endsWith('_TRANSITIVE');
}

export interface PreviousVersion {
  version: number;
  type: Type;
}

/** Avro schema resolution: can `reader` decode data written with `writer`? Returns the reason it cannot. */
function cannotRead(reader: Type, writer: Type): string | null {
  try {
    reader.createResolver(writer);
    return null;
  } catch (err) {
    return errorMessage(err);
  }
}

/**
 * Checks a candidate schema against earlier versions (ascending, soft-deleted ones already left out).
 * BACKWARD: the candidate reads data written with the old schema. FORWARD: the old schema reads data
 * written with the candidate. FULL: both. Non-transitive levels look at the latest version only.
 * Returns one message per problem; empty means compatible.
 */
export function checkCompatibility({
  candidate,
  previous,
  level,
}: {
  candidate: Type;
  previous: readonly PreviousVersion[];
  level: CompatibilityLevel;
}): string[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const against = isTransitive(level) ? previous : previous.slice(-1);
  const base = level.replace('_TRANSITIVE', '');
  const problems: string[] = [];
  for (const old of against) {
    if (base === 'BACKWARD' || base === 'FULL') {
      const reason = cannotRead(candidate, old.type);
      if (reason)
        problems.push(
          `{oldSchemaVersion: ${old.version}, compatibility: '${level}', description: 'the new schema cannot read data written with version ${old.version}: ${reason}'}`,
        );
    }
    if (base === 'FORWARD' || base === 'FULL') {
      const reason = cannotRead(old.type, candidate);
      if (reason)
        problems.push(
          `{oldSchemaVersion: ${old.version}, compatibility: '${level}', description: 'version ${old.version} cannot read data written with the new schema: ${reason}'}`,
        );
    }
  }
  return problems;
}
