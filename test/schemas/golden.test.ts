import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSchemaFiles, parseRule, type DatasetSchema } from '../../services/contract/dataset-schema.ts';
import { isValidResidentId, isValidUscc } from './check-digits.ts';
import { samplesV1, type SampleRecord } from './samples.ts';

/**
 * Golden Avro bytes. For each dataset, golden/<dataset>.v1.hex is the binary encoding of
 * samplesV1[dataset] and golden/<dataset>.v1.avsc the Parsing Canonical Form of the writer schema,
 * both generated once and kept as fixtures. A change of field order, field names or types in
 * schemas/ fails here: that is a new schema version, which must stay able to read the v1 bytes.
 */

const goldenDir = fileURLToPath(new URL('./golden/', import.meta.url));

let schemas: DatasetSchema[] = [];

beforeAll(async () => {
  schemas = await loadSchemaFiles();
});

async function golden(dataset: string): Promise<{ hex: string; canonical: string }> {
  const hex = (await readFile(`${goldenDir}${dataset}.v1.hex`, 'utf8')).trim();
  const canonical = (await readFile(`${goldenDir}${dataset}.v1.avsc`, 'utf8')).trim();
  return { hex, canonical };
}

function sampleFor(dataset: string): SampleRecord {
  const sample = samplesV1[dataset];
  if (sample === undefined) throw new Error(`no sample record for ${dataset}`);
  return sample;
}

/** A decoded avsc record as a plain object (decoding yields instances of a generated class). */
function plain(value: unknown): Record<string, unknown> {
  return { ...(value as Record<string, unknown>) };
}

function schemaNamed(dataset: string): DatasetSchema {
  const s = schemas.find((x) => x.dataset === dataset);
  if (s === undefined) throw new Error(`no schema ${dataset}`);
  return s;
}

describe('golden Avro bytes (version 1)', () => {
  it('exist for exactly the datasets that have schemas, and so do the samples', async () => {
    const datasets = schemas.map((s) => s.dataset);
    const files = (await readdir(goldenDir)).sort();
    expect(files).toEqual(datasets.flatMap((d) => [`${d}.v1.avsc`, `${d}.v1.hex`]).sort());
    expect(Object.keys(samplesV1).sort()).toEqual([...datasets].sort());
  });

  it('the writer schema of each dataset is still its v1 canonical form', async () => {
    for (const s of schemas) {
      const { canonical } = await golden(s.dataset);
      expect(JSON.stringify(s.type.schema()), s.dataset).toBe(canonical);
    }
  });

  it('each sample encodes to exactly the golden bytes and decodes back to itself', async () => {
    for (const s of schemas) {
      const sample = sampleFor(s.dataset);
      const { hex } = await golden(s.dataset);
      expect(s.type.isValid(sample), s.dataset).toBe(true);
      expect(s.type.toBuffer(sample).toString('hex'), s.dataset).toBe(hex);
      expect(plain(s.type.fromBuffer(Buffer.from(hex, 'hex'))), s.dataset).toEqual(sample);
    }
  });

  it('the current schema reads the v1 bytes through schema resolution', async () => {
    for (const s of schemas) {
      const { hex, canonical } = await golden(s.dataset);
      const writer = avro.Type.forSchema(JSON.parse(canonical) as object as Parameters<typeof avro.Type.forSchema>[0], { registry: {} });
      const decoded = s.type.fromBuffer(Buffer.from(hex, 'hex'), s.type.createResolver(writer));
      expect(plain(decoded), s.dataset).toEqual(sampleFor(s.dataset));
    }
  });

  it('would catch a field-order or type change', () => {
    const person = schemaNamed('base.natural_person');
    const sample = sampleFor('base.natural_person');
    const swapped = JSON.parse(person.text) as { fields: unknown[] };
    swapped.fields = [swapped.fields[1], swapped.fields[0], ...swapped.fields.slice(2)];
    const swappedType = avro.Type.forSchema(swapped as Parameters<typeof avro.Type.forSchema>[0], { registry: {} });
    expect(swappedType.toBuffer(sample).equals(person.type.toBuffer(sample))).toBe(false);

    // int → long encodes the same bytes; the canonical form still differs.
    const widened = JSON.parse(person.text) as { fields: { name: string; type: unknown }[] };
    for (const f of widened.fields) if (f.name === 'birth_date') f.type = 'long';
    const widenedType = avro.Type.forSchema(widened as Parameters<typeof avro.Type.forSchema>[0], { registry: {} });
    expect(JSON.stringify(widenedType.schema())).not.toBe(JSON.stringify(person.type.schema()));
  });
});

describe('schema evolution against the v1 bytes', () => {
  it('adding an optional field with a null default keeps v1 readable', async () => {
    const person = schemaNamed('base.natural_person');
    const v2 = JSON.parse(person.text) as { fields: object[] };
    v2.fields.push({ name: 'email', type: ['null', 'string'], default: null, doc: '电子邮箱', grade: 3 });
    const reader = avro.Type.forSchema(v2 as Parameters<typeof avro.Type.forSchema>[0], { registry: {} });
    const { hex } = await golden('base.natural_person');
    const decoded = reader.fromBuffer(Buffer.from(hex, 'hex'), reader.createResolver(person.type));
    expect(plain(decoded)).toEqual({ ...sampleFor('base.natural_person'), email: null });
  });

  it('adding a field without a default cannot read v1', () => {
    const person = schemaNamed('base.natural_person');
    const v2 = JSON.parse(person.text) as { fields: object[] };
    v2.fields.push({ name: 'email', type: 'string', doc: '电子邮箱', grade: 3 });
    const reader = avro.Type.forSchema(v2 as Parameters<typeof avro.Type.forSchema>[0], { registry: {} });
    expect(() => reader.createResolver(person.type)).toThrow(/email/);
  });

  it('an enum symbol unknown to an old reader falls back to the enum default', () => {
    const entity = schemaNamed('base.legal_entity');
    const v2 = JSON.parse(entity.text) as { fields: { name: string; type: { symbols?: string[] } }[] };
    const status = v2.fields.find((f) => f.name === 'status');
    status?.type.symbols?.push('LIQUIDATING');
    const writer = avro.Type.forSchema(v2 as Parameters<typeof avro.Type.forSchema>[0], { registry: {} });
    const bytes = writer.toBuffer({ ...sampleFor('base.legal_entity'), status: 'LIQUIDATING' });
    const decoded = plain(entity.type.fromBuffer(bytes, entity.type.createResolver(writer)));
    expect(decoded.status).toBe('OTHER');
  });
});

/** Reference checks for the rules the samples can be held to (the cleansing service owns the real ones). */
function ruleHolds(rule: string, value: unknown, record: SampleRecord): boolean {
  const parsed = parseRule(rule);
  if (parsed === null) return false;
  if (value === null) return parsed.name !== 'required';
  const s = typeof value === 'string' ? value : '';
  const n = typeof value === 'number' ? value : Number.NaN;
  const now = Date.now();
  switch (parsed.name) {
    case 'required':
      return true;
    case 'not-blank':
      return s.trim() !== '';
    case 'max-length':
      return [...s].length <= Number(parsed.param);
    case 'resident-id':
      return isValidResidentId(s);
    case 'uscc':
      return isValidUscc(s);
    case 'party-id':
      return isValidResidentId(s) || isValidUscc(s);
    case 'phone-cn':
      return /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/.test(s);
    case 'region-code':
      return /^[1-8]\d{5}$/.test(s);
    case 're-unit-code':
      return /^\d{12}[A-Z]{2}\d{5}[FLQW]\d{8}$/.test(s);
    case 'code-list':
      return s.trim() !== '';
    case 'date-past':
      // A date is days since the epoch; a timestamp milliseconds. Either is at most now.
      return n < 1e6 ? n * 86_400_000 <= now : n <= now;
    case 'not-before': {
      const other = record[parsed.param ?? ''];
      return other === null || (typeof other === 'number' && n >= other);
    }
    case 'positive':
      return n > 0;
    case 'non-negative':
      return n >= 0;
    case 'longitude':
      return n >= 73 && n <= 136;
    case 'latitude':
      return n >= 3 && n <= 54;
  }
}

describe('the sample records', () => {
  it('satisfy every rule their schema declares', () => {
    for (const s of schemas) {
      const sample = sampleFor(s.dataset);
      for (const f of s.fields) {
        for (const rule of f.rules) expect(ruleHolds(rule, sample[f.name], sample), `${s.dataset}.${f.name} ${rule}`).toBe(true);
      }
    }
  });

  it('use identifiers whose check characters are right (and wrong ones are caught)', () => {
    expect(isValidResidentId('340104199003157733')).toBe(true);
    expect(isValidResidentId('340104199003157734')).toBe(false);
    // The worked example of GB 11643-1999.
    expect(isValidResidentId('11010519491231002X')).toBe(true);
    expect(isValidUscc('91340100MA2N1B7K5P')).toBe(true);
    expect(isValidUscc('91340100MA2N1B7K5Q')).toBe(false);
    expect(isValidUscc('91340100MA2N1B7K6P')).toBe(false);
    // A code from outside this repository, often used to demonstrate USCC validators.
    expect(isValidUscc('91350100M000100Y43')).toBe(true);
  });
});
