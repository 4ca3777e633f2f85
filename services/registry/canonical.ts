import { createHash } from 'node:crypto';
import avsc from 'avsc';
import type { Type } from 'avsc';
import { errorMessage } from '../platform/errors.ts';
import { registryErrors } from './registry-error.ts';
import type { SchemaType } from './types.ts';

type AvroSchema = Parameters<typeof avsc.Type.forSchema>[0];

export interface ParsedSchema {
  schemaType: SchemaType;
  /** The text as the client sent it; this is what the registry stores and returns. */
  schema: string;
  /** The identity of a schema: its JSON without insignificant whitespace, attributes and key order kept. */
  canonical: string;
  /** SHA-256 of the canonical text, hex. */
  fingerprint: string;
  type: Type;
}

/**
 * The canonical form compares schemas by content, not layout. Custom attributes (doc, grade, rules,
 * businessKey, ...) stay part of the identity, because consumers read them from the schema text.
 */
export function canonicalForm(schema: string): string {
  try {
    return JSON.stringify(JSON.parse(schema));
  } catch (err) {
    throw registryErrors.invalidSchema(`Invalid schema: the schema is not valid JSON (${errorMessage(err)})`);
  }
}

export function fingerprintOf(canonical: string): string {
  return createHash('sha256').update(canonical).digest('hex');
}

/** Each Type gets its own registry of names, so two versions defining the same record never clash. */
export function avroType(schema: string): Type {
  return avsc.Type.forSchema(JSON.parse(schema) as AvroSchema, { registry: {} });
}

export function parseSchema({ schema, schemaType }: { schema: string; schemaType: SchemaType }): ParsedSchema {
  if (schema.trim() === '') throw registryErrors.invalidSchema('Empty schema');
  const canonical = canonicalForm(schema);
  let type: Type;
  try {
    type = avroType(schema);
  } catch (err) {
    throw registryErrors.invalidSchema(`Invalid schema: ${errorMessage(err)}`);
  }
  return { schemaType, schema, canonical, fingerprint: fingerprintOf(canonical), type };
}
