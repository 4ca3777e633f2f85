/** Shared shapes of the registry: what the store returns and what the API answers. */

export const schemaTypes = ['AVRO'] as const;
export type SchemaType = (typeof schemaTypes)[number];

export const compatibilityLevels = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
export type CompatibilityLevel = (typeof compatibilityLevels)[number];
export const defaultCompatibilityLevel: CompatibilityLevel = 'BACKWARD';

export const modes = ['READWRITE', 'READONLY', 'READONLY_OVERRIDE', 'IMPORT'] as const;
export type Mode = (typeof modes)[number];
export const defaultMode: Mode = 'READWRITE';

/** A stored schema: its global id and the text as first registered. */
export interface StoredSchema {
  id: number;
  schemaType: SchemaType;
  schema: string;
  fingerprint: string;
}

/** One version of a subject and the schema it points at. */
export interface SubjectVersion extends StoredSchema {
  subject: string;
  version: number;
  deleted: boolean;
}

/** "latest" (or -1 in the URL) or a version number. */
export type VersionRef = number | 'latest';

/** What the client sends to register, look up or test a schema (unknown fields already dropped). */
export interface SchemaRequest {
  schema: string;
  schemaType: SchemaType;
  /** Only in IMPORT mode. */
  id?: number;
  /** Only in IMPORT mode, or equal to the next version. */
  version?: number;
}

/** Confluent's schema entity; schemaType is left out for AVRO, as Confluent does. */
export interface SchemaEntity {
  subject: string;
  version: number;
  id: number;
  schemaType?: string;
  schema: string;
}
