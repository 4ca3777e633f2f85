import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubError } from '../../services/platform/errors.ts';
import {
  datasetForFile,
  defaultSchemaDir,
  loadSchemaFiles,
  parseDatasetSchema,
  parseRule,
  schemaRules,
  validateSchemaConvention,
  type DatasetSchema,
} from '../../services/contract/dataset-schema.ts';

const file = 'base/natural_person.avsc';
const gradeList = '1 (公开 public), 2 (内部 internal), 3 (敏感 sensitive), 4 (高敏感 highly sensitive)';

type MutableField = Record<string, unknown>;
type MutableSchema = Record<string, unknown> & { fields: MutableField[] };

let naturalPersonText = '';

/** A fresh, mutable copy of the natural person schema, changed by `change`. */
function variant(change: (json: MutableSchema) => void): MutableSchema {
  const json = JSON.parse(naturalPersonText) as MutableSchema;
  change(json);
  return json;
}

function field(json: MutableSchema, name: string): MutableField {
  const found = json.fields.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no field ${name}`);
  return found;
}

/** The HubError validateSchemaConvention throws for this JSON. */
function conventionError(json: unknown, at = file): HubError {
  try {
    validateSchemaConvention(json, at);
  } catch (err) {
    if (err instanceof HubError) return err;
    throw err;
  }
  throw new Error('expected the convention check to fail');
}

function messageFor(change: (json: MutableSchema) => void): string {
  const err = conventionError(variant(change));
  expect(err.code).toBe('HUB_ERR_CONFIG');
  return err.message;
}

beforeAll(async () => {
  naturalPersonText = await readFile(join(defaultSchemaDir, file), 'utf8');
});

describe('the dataset schema files', () => {
  let schemas: DatasetSchema[] = [];

  beforeAll(async () => {
    schemas = await loadSchemaFiles();
  });

  it('all load, sorted by path, with the dataset id their path implies', () => {
    expect(schemas.map((s) => s.file)).toEqual([
      'base/credit_record.avsc',
      'base/e_license.avsc',
      'base/land_parcel.avsc',
      'base/legal_entity.avsc',
      'base/natural_person.avsc',
      'theme/market_inspection.avsc',
      'theme/social_insurance_enrolment.avsc',
      'theme/tax_credit_rating.avsc',
    ]);
    for (const s of schemas) {
      expect(s.dataset).toBe(s.file.replace('/', '.').replace(/\.avsc$/, ''));
      expect(s.layer).toBe(s.dataset.split('.')[0]);
      expect(s.json.dataset).toBe(s.dataset);
      expect(s.json.namespace).toBe(`gov.hub.${s.layer}`);
    }
  });

  it('cover the five base databases and at least three theme databases', () => {
    const ids = schemas.map((s) => s.dataset);
    expect(ids.filter((id) => id.startsWith('base.'))).toEqual([
      'base.credit_record',
      'base.e_license',
      'base.land_parcel',
      'base.legal_entity',
      'base.natural_person',
    ]);
    expect(ids.filter((id) => id.startsWith('theme.')).length).toBeGreaterThanOrEqual(3);
  });

  it('keep the raw text and an avsc record type whose fields follow the file', async () => {
    for (const s of schemas) {
      const raw = await readFile(join(defaultSchemaDir, s.file), 'utf8');
      expect(s.text).toBe(raw.trim());
      expect(s.type.typeName).toBe('record');
      const avroFields = (s.type as unknown as { fields: { name: string }[] }).fields.map((f) => f.name);
      expect(avroFields).toEqual(s.fields.map((f) => f.name));
      expect(s.fields.map((f) => f.name)).toEqual(s.json.fields.map((f) => f.name));
    }
  });

  it('grade every field 1..4, document it in Chinese, and key it with required, non-null fields', () => {
    for (const s of schemas) {
      expect(s.businessKey.length).toBeGreaterThan(0);
      for (const f of s.fields) {
        expect([1, 2, 3, 4]).toContain(f.grade);
        expect(f.doc).toMatch(/\p{Script=Han}/u);
        for (const rule of f.rules) expect(parseRule(rule), `${s.dataset}.${f.name}: ${rule}`).not.toBeNull();
      }
      for (const key of s.businessKey) {
        const f = s.fields.find((x) => x.name === key);
        expect(f?.rules).toContain('required');
        const typeJson = s.json.fields.find((x) => x.name === key)?.type;
        expect(Array.isArray(typeJson)).toBe(false);
      }
    }
  });

  it('grade personal identity numbers 4 (高敏感) wherever they appear', () => {
    const idFields = schemas.flatMap((s) =>
      s.fields.filter((f) => f.rules.includes('resident-id') || f.rules.includes('party-id')).map((f) => ({ at: `${s.dataset}.${f.name}`, grade: f.grade })),
    );
    expect(idFields.length).toBeGreaterThanOrEqual(6);
    for (const f of idFields) expect(f, f.at).toEqual({ at: f.at, grade: 4 });
  });
});

describe('validateSchemaConvention', () => {
  it('accepts the natural person schema and returns its key and fields', () => {
    const c = validateSchemaConvention(
      variant(() => {}),
      file,
    );
    expect(c.dataset).toBe('base.natural_person');
    expect(c.layer).toBe('base');
    expect(c.businessKey).toEqual(['id_number']);
    expect(c.fields[0]).toEqual({
      name: 'id_number',
      grade: 4,
      rules: ['required', 'resident-id'],
      doc: '公民身份号码（18位，GB 11643 校验码）',
      kind: 'string',
      nullable: false,
    });
    expect(c.fields.find((f) => f.name === 'gender')).toMatchObject({ rules: [], kind: 'enum' });
    expect(c.fields.find((f) => f.name === 'birth_date')).toMatchObject({ kind: 'date' });
  });

  it('decides each field kind once, and refuses kinds the landing databases cannot hold', () => {
    const micros = messageFor((j) => {
      (j.fields as Record<string, unknown>[]).push({ name: 'seen_at', type: { type: 'long', logicalType: 'timestamp-micros' }, doc: '微秒时间', grade: 1 });
    });
    expect(micros).toMatch(/field "seen_at" is timestamp-micros: the base and theme databases hold/);
    const nested = messageFor((j) => {
      (j.fields as Record<string, unknown>[]).push({ name: 'tags', type: { type: 'array', items: 'string' }, doc: '标签', grade: 1 });
    });
    expect(nested).toMatch(/field "tags" is not a single flat value/);
  });

  it('rejects a record without businessKey', () => {
    expect(messageFor((j) => delete j.businessKey)).toBe('base/natural_person.avsc: businessKey is missing; declare "businessKey": ["<field>", ...]');
  });

  it('rejects an empty or non-array businessKey', () => {
    const expected = 'base/natural_person.avsc: businessKey must be a non-empty array of field names';
    expect(messageFor((j) => (j.businessKey = []))).toBe(expected);
    expect(messageFor((j) => (j.businessKey = 'id_number'))).toBe(expected);
    expect(messageFor((j) => (j.businessKey = [7]))).toBe(expected);
  });

  it('rejects a businessKey naming a missing field', () => {
    expect(messageFor((j) => (j.businessKey = ['citizen_id']))).toBe(
      'base/natural_person.avsc: businessKey names "citizen_id", which is not a field of the record',
    );
  });

  it('rejects a business key field that is optional or lacks the rule "required"', () => {
    expect(messageFor((j) => (j.businessKey = ['phone']))).toBe('base/natural_person.avsc: business key field "phone" must not be optional');
    expect(messageFor((j) => (j.businessKey = ['id_number', 'name']))).toBe(
      'base/natural_person.avsc: business key field "name" must carry the rule "required"',
    );
    expect(messageFor((j) => (j.businessKey = ['id_number', 'id_number']))).toBe('base/natural_person.avsc: businessKey names "id_number" twice');
  });

  it('rejects a field without grade', () => {
    expect(messageFor((j) => delete field(j, 'name').grade)).toBe(`base/natural_person.avsc: field "name" has no grade; grades are ${gradeList}`);
  });

  it('rejects grade 5: state secrets never enter the platform', () => {
    expect(messageFor((j) => (field(j, 'name').grade = 5))).toBe(
      'base/natural_person.avsc: field "name" has grade 5; grades stop at 4: state secrets (涉密) are never allowed on the platform',
    );
    expect(messageFor((j) => (field(j, 'id_number').grade = 9))).toMatch(/field "id_number" has grade 9; grades stop at 4/);
  });

  it('rejects a grade that is not an integer 1..4', () => {
    expect(messageFor((j) => (field(j, 'name').grade = 0))).toBe('base/natural_person.avsc: field "name" has grade 0; a grade is an integer 1..4');
    expect(messageFor((j) => (field(j, 'name').grade = '3'))).toBe('base/natural_person.avsc: field "name" has grade "3"; a grade is an integer 1..4');
    expect(messageFor((j) => (field(j, 'name').grade = 2.5))).toBe('base/natural_person.avsc: field "name" has grade 2.5; a grade is an integer 1..4');
  });

  it('rejects an unknown rule', () => {
    expect(messageFor((j) => (field(j, 'name').rules = ['not-blank', 'chinese-name']))).toBe(
      `base/natural_person.avsc: field "name" has unknown rule "chinese-name"; known rules: ${schemaRules.join(', ')}`,
    );
    expect(messageFor((j) => (field(j, 'name').rules = 'not-blank'))).toBe('base/natural_person.avsc: field "name": "rules" must be an array of rule names');
  });

  it('checks rule parameters', () => {
    expect(messageFor((j) => (field(j, 'ethnicity_code').rules = ['code-list']))).toBe(
      'base/natural_person.avsc: field "ethnicity_code": rule "code-list" needs a parameter (code-list:<list>)',
    );
    expect(messageFor((j) => (field(j, 'ethnicity_code').rules = ['code-list:GB 3304']))).toBe(
      'base/natural_person.avsc: field "ethnicity_code": code list name "GB 3304" is not kebab-case',
    );
    expect(messageFor((j) => (field(j, 'name').rules = ['max-length:0']))).toBe(
      'base/natural_person.avsc: field "name": rule "max-length" needs a positive integer, not "0"',
    );
    expect(messageFor((j) => (field(j, 'name').rules = ['not-blank:yes']))).toBe('base/natural_person.avsc: field "name": rule "not-blank" takes no parameter');
    expect(messageFor((j) => (field(j, 'death_date').rules = ['not-before:born_on']))).toBe(
      'base/natural_person.avsc: field "death_date": rule "not-before" names "born_on", which is not a field of the record',
    );
    expect(messageFor((j) => (field(j, 'death_date').rules = ['not-before:updated_at']))).toBe(
      'base/natural_person.avsc: field "death_date": rule "not-before" compares a date with "updated_at", a timestamp',
    );
    expect(messageFor((j) => (field(j, 'name').rules = ['not-blank', 'not-blank']))).toBe('base/natural_person.avsc: field "name" has rule "not-blank" twice');
  });

  it('rejects a rule on a field of the wrong type', () => {
    expect(messageFor((j) => (field(j, 'birth_date').rules = ['positive']))).toBe(
      'base/natural_person.avsc: field "birth_date": rule "positive" applies to number/decimal fields, not date',
    );
    expect(messageFor((j) => (field(j, 'gender').rules = ['not-blank']))).toBe(
      'base/natural_person.avsc: field "gender": rule "not-blank" applies to string fields, not enum',
    );
    expect(messageFor((j) => (field(j, 'phone').rules = ['required']))).toBe(
      'base/natural_person.avsc: field "phone": rule "required" contradicts its optional ["null", T] type',
    );
  });

  it('requires optional fields to be ["null", T] with default null, and enums to have a default', () => {
    expect(messageFor((j) => delete field(j, 'phone').default)).toBe('base/natural_person.avsc: field "phone" is optional but its "default" is not null');
    expect(messageFor((j) => (field(j, 'phone').type = ['string', 'null']))).toBe(
      'base/natural_person.avsc: field "phone": a union must be ["null", T] (an optional field)',
    );
    expect(
      messageFor((j) => {
        delete (field(j, 'gender').type as Record<string, unknown>).default;
      }),
    ).toBe('base/natural_person.avsc: field "gender": enum Gender has no "default" symbol (needed to add symbols compatibly)');
  });

  it('requires Chinese docs, snake_case fields and the layer namespace', () => {
    expect(messageFor((j) => delete j.doc)).toBe('base/natural_person.avsc: the record has no Chinese "doc"');
    expect(messageFor((j) => (field(j, 'name').doc = 'name'))).toBe('base/natural_person.avsc: field "name" has no Chinese "doc"');
    expect(messageFor((j) => (field(j, 'name').name = 'fullName'))).toBe('base/natural_person.avsc: field "fullName" is not snake_case');
    expect(messageFor((j) => (j.namespace = 'gov.hub'))).toBe('base/natural_person.avsc: namespace is "gov.hub"; a base schema uses "gov.hub.base"');
    expect(messageFor((j) => j.fields.push({ ...field(j, 'name') }))).toBe('base/natural_person.avsc: field "name" is declared twice');
  });

  it('ties dataset and layer to the file path', () => {
    expect(messageFor((j) => (j.dataset = 'base.person'))).toBe(
      'base/natural_person.avsc: "dataset" is "base.person" but the file path says "base.natural_person"',
    );
    expect(messageFor((j) => delete j.dataset)).toBe('base/natural_person.avsc: "dataset" is missing; the file path says "base.natural_person"');
    expect(messageFor((j) => (j.layer = 'theme'))).toBe('base/natural_person.avsc: "layer" is "theme" but the file path says "base"');
    const moved = conventionError(
      variant(() => {}),
      'theme/natural_person.avsc',
    );
    expect(moved.message).toBe('theme/natural_person.avsc: namespace is "gov.hub.base"; a theme schema uses "gov.hub.theme"');
    expect(
      conventionError(
        variant(() => {}),
        'natural_person.avsc',
      ).message,
    ).toBe('natural_person.avsc: a schema file is <layer>/<dataset_name>.avsc with layer base or theme and a snake_case name');
    expect(datasetForFile('theme/tax_credit_rating.avsc')).toEqual({ dataset: 'theme.tax_credit_rating', layer: 'theme' });
  });

  it('rejects what is not a record', () => {
    expect(conventionError('string').message).toBe('base/natural_person.avsc: the schema is not a JSON object');
    expect(conventionError({ type: 'enum', name: 'X', symbols: ['A'] }).message).toBe('base/natural_person.avsc: the schema is a "enum", not a record');
  });
});

describe('parseRule', () => {
  it('splits parameterised rules and refuses unknown names', () => {
    expect(parseRule('code-list:gb3304-ethnicity')).toEqual({ name: 'code-list', param: 'gb3304-ethnicity' });
    expect(parseRule('resident-id')).toEqual({ name: 'resident-id', param: null });
    expect(parseRule('classified')).toBeNull();
  });
});

describe('loadSchemaFiles on a directory', () => {
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hub-schemas-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function layout(files: Record<string, string>): Promise<string> {
    const root = await mkdtemp(join(dir, 'case-'));
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), text);
    }
    return root;
  }

  async function loadError(root: string): Promise<HubError> {
    const err: unknown = await loadSchemaFiles(root).then(
      () => null,
      (e: unknown) => e,
    );
    if (!(err instanceof HubError)) throw new Error(`expected a HubError, got ${String(err)}`);
    expect(err.code).toBe('HUB_ERR_CONFIG');
    return err;
  }

  it('reads .avsc files recursively, sorted, and ignores other files', async () => {
    const theme = naturalPersonText
      .replace('"base.natural_person"', '"theme.person_index"')
      .replace('"layer": "base"', '"layer": "theme"')
      .replace('"gov.hub.base"', '"gov.hub.theme"');
    const root = await layout({
      'theme/person_index.avsc': `\n${theme}\n\n`,
      'base/natural_person.avsc': naturalPersonText,
      'base/README.md': '# not a schema',
    });
    const loaded = await loadSchemaFiles(root);
    expect(loaded.map((s) => [s.file, s.dataset, s.layer])).toEqual([
      ['base/natural_person.avsc', 'base.natural_person', 'base'],
      ['theme/person_index.avsc', 'theme.person_index', 'theme'],
    ]);
    expect(loaded[1]?.text).toBe(theme.trim());
    expect(await loadSchemaFiles(await layout({}))).toEqual([]);
  });

  it('names the file that is not JSON', async () => {
    const err = await loadError(await layout({ 'base/natural_person.avsc': naturalPersonText, 'base/broken.avsc': '{"type": "record",' }));
    expect(err.message).toMatch(/^base\/broken\.avsc: not valid JSON: /);
  });

  it('names the file that is not valid Avro', async () => {
    const bad = naturalPersonText.replace('"type": "string",\n      "doc": "姓名"', '"type": "text",\n      "doc": "姓名"');
    expect(bad).not.toBe(naturalPersonText);
    const err = await loadError(await layout({ 'base/natural_person.avsc': bad }));
    expect(err.message).toMatch(/^base\/natural_person\.avsc: not a valid Avro schema: .*text/);
  });

  it('names the file that breaks the convention', async () => {
    const err = await loadError(await layout({ 'base/natural_person.avsc': naturalPersonText.replace('"grade": 3,', '"grade": 5,') }));
    expect(err.message).toBe('base/natural_person.avsc: field "name" has grade 5; grades stop at 4: state secrets (涉密) are never allowed on the platform');
    const misplaced = await loadError(await layout({ 'base/extra/natural_person.avsc': naturalPersonText }));
    expect(misplaced.message).toBe(
      'base/extra/natural_person.avsc: a schema file is <layer>/<dataset_name>.avsc with layer base or theme and a snake_case name',
    );
  });

  it('reports a missing directory', async () => {
    const missing = join(dir, 'nope');
    const err = await loadError(missing);
    expect(err.message).toBe(`${missing}: cannot read the schema directory: no such directory`);
  });

  it('parseDatasetSchema checks text the same way, without files', () => {
    const s = parseDatasetSchema(`  ${naturalPersonText}  `, file);
    expect(s.text).toBe(naturalPersonText.trim());
    expect(s.type.name).toBe('gov.hub.base.NaturalPerson');
    expect(() => parseDatasetSchema('[]', file)).toThrow('base/natural_person.avsc: not a valid Avro schema');
  });
});
