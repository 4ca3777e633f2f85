import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { HubError, errorMessage, isNetworkError } from './errors.ts';

export interface RegistryClientOptions {
  /** e.g. http://127.0.0.1:8080/registry */
  url: string;
  username: string;
  password: string;
}

/**
 * The hub's view of a Confluent-compatible registry: schemas by subject, and Avro values in the
 * Confluent wire format (magic byte 0, 4-byte schema id, Avro body). Schemas are cached by id.
 */
export interface RegistryClient {
  register(subject: string, schema: string): Promise<number>;
  latestId(subject: string): Promise<number>;
  /** The latest version of a subject: its global id and schema text. */
  latest(subject: string): Promise<{ id: number; version: number; schema: string }>;
  /** The subjects (and versions) that use a schema id. */
  subjectsOf(schemaId: number): Promise<{ subject: string; version: number }[]>;
  encode(schemaId: number, value: unknown): Promise<Buffer>;
  /** Many values of one schema, written one after the other into shared buffers (no allocation per value). */
  encodeMany(schemaId: number, values: readonly unknown[]): Promise<Buffer[]>;
  decode<T = Record<string, unknown>>(buffer: Buffer): Promise<T>;
}

/** Reads the schema id from a Confluent-framed value without decoding it. */
export function wireSchemaId(buffer: Buffer): number {
  if (buffer.length < 5 || buffer.readUInt8(0) !== 0) {
    throw new HubError('HUB_ERR_VALIDATION', 'value is not in the Confluent wire format (magic byte 0 + schema id)');
  }
  return buffer.readInt32BE(1);
}

/** Each value in the Confluent wire format, as views into a few shared buffers. */
function encodeFramed(type: avro.Type, schemaId: number, values: readonly unknown[]): Buffer[] {
  const out: Buffer[] = [];
  let buf = Buffer.allocUnsafe(64 * 1024);
  let pos = 0;
  for (const value of values) {
    for (;;) {
      const end = buf.length - pos > 5 ? type.encode(value, buf, pos + 5) : -1;
      if (end > 0) {
        buf.writeUInt8(0, pos);
        buf.writeInt32BE(schemaId, pos + 1);
        out.push(buf.subarray(pos, end));
        pos = end;
        break;
      }
      // Too small: a fresh buffer, twice as large when the value did not fit even in an empty one. The values so far keep the old one.
      buf = Buffer.allocUnsafe(pos === 0 ? 2 * buf.length : buf.length);
      pos = 0;
    }
  }
  return out;
}

function mapError(err: unknown, what: string): HubError {
  const status = (err as { status?: number }).status;
  if (status === 409) return new HubError('HUB_ERR_CONFLICT', `registry refused ${what}: ${errorMessage(err)}`, { cause: err });
  if (status === 422) return new HubError('HUB_ERR_UNPROCESSABLE', `registry refused ${what}: ${errorMessage(err)}`, { cause: err });
  if (status === 401) return new HubError('HUB_ERR_UNAUTHENTICATED', `registry refused the hub's credentials ${what}`, { cause: err });
  if (status === 403) return new HubError('HUB_ERR_FORBIDDEN', `registry forbids ${what}`, { cause: err });
  if (status === 404) return new HubError('HUB_ERR_NOT_FOUND', `registry has no ${what}`, { cause: err });
  if (status !== undefined && status < 500) return new HubError('HUB_ERR_VALIDATION', `registry rejected ${what}: ${errorMessage(err)}`, { cause: err });
  return new HubError('HUB_ERR_REGISTRY_UNAVAILABLE', `schema registry failed ${what}: ${errorMessage(err)}`, { cause: err });
}

export function createRegistryClient({ url, username, password }: RegistryClientOptions): RegistryClient {
  const registry = new SchemaRegistry({ host: url, auth: { username, password }, retry: { retries: 2 } });
  const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  async function getJson<T>(path: string, what: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, { headers: { authorization, accept: 'application/vnd.schemaregistry.v1+json' } });
    } catch (err) {
      throw new HubError('HUB_ERR_REGISTRY_UNAVAILABLE', `cannot reach the schema registry at ${url}: ${errorMessage(err)}`, { cause: err });
    }
    const body = (await res.json().catch(() => ({}))) as T & { message?: string };
    if (!res.ok) throw mapError(Object.assign(new Error(body.message ?? `status ${res.status}`), { status: res.status }), what);
    return body;
  }
  return {
    async register(subject, schema) {
      try {
        const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject });
        return id;
      } catch (err) {
        throw mapError(err, `schema for subject ${subject}`);
      }
    },
    async latestId(subject) {
      try {
        return await registry.getLatestSchemaId(subject);
      } catch (err) {
        throw mapError(err, `subject ${subject}`);
      }
    },
    async latest(subject) {
      const body = await getJson<{ id: number; version: number; schema: string }>(
        `/subjects/${encodeURIComponent(subject)}/versions/latest`,
        `subject ${subject}`,
      );
      return { id: body.id, version: body.version, schema: body.schema };
    },
    subjectsOf: (schemaId) => getJson<{ subject: string; version: number }[]>(`/schemas/ids/${schemaId}/versions`, `schema ${schemaId}`),
    async encode(schemaId, value) {
      try {
        return await registry.encode(schemaId, value);
      } catch (err) {
        if ((err as { name?: string }).name === 'ConfluentSchemaRegistryValidationError') {
          throw new HubError('HUB_ERR_VALIDATION', `value does not match schema ${schemaId}: ${errorMessage(err)}`, { cause: err });
        }
        throw mapError(err, `schema ${schemaId}`);
      }
    },
    async encodeMany(schemaId, values) {
      // Nothing to encode needs no schema (callers pass a placeholder id when they have no such values).
      if (values.length === 0) return [];
      let type: unknown;
      try {
        type = await registry.getSchema(schemaId);
      } catch (err) {
        throw mapError(err, `schema ${schemaId}`);
      }
      if (!(type instanceof avro.Type)) throw new HubError('HUB_ERR_VALIDATION', `schema ${schemaId} is not an Avro schema`);
      try {
        return encodeFramed(type, schemaId, values);
      } catch (err) {
        throw new HubError('HUB_ERR_VALIDATION', `value does not match schema ${schemaId}: ${errorMessage(err)}`, { cause: err });
      }
    },
    async decode<T>(buffer: Buffer) {
      const id = wireSchemaId(buffer);
      try {
        return (await registry.decode(buffer)) as T;
      } catch (err) {
        if ((err as { status?: number }).status === undefined && !isNetworkError(err)) {
          throw new HubError('HUB_ERR_VALIDATION', `value cannot be decoded with schema ${id}: ${errorMessage(err)}`, { cause: err });
        }
        throw mapError(err, `schema ${id}`);
      }
    },
  };
}
