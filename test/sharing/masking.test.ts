import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { defaultMaskKind, maskHash, maskPartial, maskProblem, maskValue, maskYearOnly, type MaskTarget } from '../../services/sharing/masking.ts';
import { projectionOf } from '../../services/sharing/share-schema.ts';
import { loadSchemaFiles } from '../../services/contract/dataset-schema.ts';

const target = (name: string, shape: MaskTarget['shape'], rules: string[] = []): MaskTarget => ({ name, shape, rules });
const idField = target('id_number', 'string', ['required', 'resident-id']);
const phone = target('phone', 'string', ['phone-cn']);
const name = target('name', 'string', ['not-blank']);
const birth = target('birth_date', 'date', ['date-past']);

describe('masking', () => {
  it('partial keeps the first and last characters of ids and phones, and the surname of names', () => {
    expect(maskValue('340104199003077733', 'partial', idField, 's')).toBe('340104********7733');
    expect(maskValue('13912342345', 'partial', phone, 's')).toBe('139****2345');
    expect(maskValue('张三', 'partial', name, 's')).toBe('张*');
    expect(maskValue('欧阳娜娜', 'partial', name, 's')).toBe('欧***');
    expect(maskPartial('abcdefgh', 'generic')).toBe('ab****gh');
    expect(maskPartial('ab', 'generic')).toBe('a*');
    expect(maskPartial('x', 'generic')).toBe('*');
    expect(maskPartial('12345', 'id')).toBe('1****');
  });

  it('hash is HMAC-SHA256 hex under the grant salt: joinable within a grant, not across', () => {
    const a = maskValue('340104199003077733', 'hash', idField, 'salt-a');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(maskValue('340104199003077733', 'hash', idField, 'salt-a')).toBe(a);
    expect(maskValue('340104199003077733', 'hash', idField, 'salt-b')).not.toBe(a);
    expect(maskHash(42, 'salt-a')).toBe(maskHash('42', 'salt-a'));
  });

  it('nullify drops the value, and null stays null for every kind', () => {
    expect(maskValue('somewhere', 'nullify', target('household_address', 'string'), 's')).toBeNull();
    for (const kind of ['partial', 'hash', 'nullify', 'year-only'] as const) expect(maskValue(null, kind, birth, 's')).toBeNull();
  });

  it('year-only moves dates and timestamps to 1 January of their year, keeping the Avro kind', () => {
    const days = Date.UTC(1990, 2, 7) / 86_400_000;
    expect(maskValue(days, 'year-only', birth, 's')).toBe(Date.UTC(1990, 0, 1) / 86_400_000);
    expect(Number.isInteger(maskYearOnly(days, 'date'))).toBe(true);
    expect(maskYearOnly(Date.UTC(2024, 4, 1, 13, 5), 'timestamp')).toBe(Date.UTC(2024, 0, 1));
    expect(maskYearOnly(-1, 'date')).toBe(Date.UTC(1969, 0, 1) / 86_400_000);
  });

  it('chooses the default kind by rules and type, and refuses a kind that cannot apply', () => {
    expect(defaultMaskKind(idField)).toBe('partial');
    expect(defaultMaskKind(target('credit_code', 'string', ['uscc']))).toBe('partial');
    expect(defaultMaskKind(phone)).toBe('partial');
    expect(defaultMaskKind(name)).toBe('partial');
    expect(defaultMaskKind(target('legal_rep_name', 'string'))).toBe('partial');
    expect(defaultMaskKind(birth)).toBe('year-only');
    expect(defaultMaskKind(target('updated_at', 'timestamp'))).toBe('year-only');
    expect(defaultMaskKind(target('household_address', 'string'))).toBe('nullify');
    expect(defaultMaskKind(target('marital_status', 'enum'))).toBe('nullify');
    expect(maskProblem(target('marital_status', 'enum'), 'partial')).toMatch(/string/);
    expect(maskProblem(name, 'year-only')).toMatch(/dates/);
    expect(maskProblem(target('marital_status', 'enum'), 'hash')).toBeNull();
  });
});

describe('share projection', async () => {
  const [person] = (await loadSchemaFiles()).filter((s) => s.dataset === 'base.natural_person');
  const record = {
    id_number: '340104199003077733',
    name: '张三',
    gender: 'MALE',
    birth_date: Date.UTC(1990, 2, 7) / 86_400_000,
    phone: '13912342345',
    marital_status: 'MARRIED',
    household_address: '合肥市蜀山区',
  };

  it('keeps only granted fields, masks sensitive ones, and hashes the key when a key field is masked', () => {
    const p = projectionOf({
      grantId: 'g-1',
      dataset: person!,
      fields: ['gender', 'name', 'id_number', 'birth_date', 'marital_status', 'phone'],
      masking: { phone: 'hash' },
      salt: 'salt',
    });
    const schema = JSON.parse(p.schema) as { fields: { name: string; type: unknown; masking?: string }[]; businessKey?: unknown };
    expect(schema.fields.map((f) => f.name)).toEqual(['id_number', 'name', 'gender', 'birth_date', 'phone', 'marital_status']);
    expect(schema.businessKey).toBeUndefined();
    expect(schema.fields.find((f) => f.name === 'marital_status')).toMatchObject({
      type: ['null', expect.objectContaining({ type: 'enum' })],
      masking: 'nullify',
    });
    expect(schema.fields.find((f) => f.name === 'birth_date')).toMatchObject({ type: ['null', { type: 'int', logicalType: 'date' }], masking: 'year-only' });
    const value = p.value(record);
    expect(value).toEqual({
      id_number: '340104********7733',
      name: '张*',
      gender: 'MALE',
      birth_date: Date.UTC(1990, 0, 1) / 86_400_000,
      phone: maskHash('13912342345', 'salt'),
      marital_status: null,
    });
    expect(p.keyMode).toBe('hashed');
    expect(p.key(record.id_number)).toBe(maskHash(record.id_number, 'salt'));
    expect(avro.Type.forSchema(JSON.parse(p.schema)).isValid(value)).toBe(true);
  });

  it('keeps the business key when every key field is granted unmasked', () => {
    const p = projectionOf({ grantId: 'g-2', dataset: person!, fields: ['id_number', 'gender'], unmasked: ['base.natural_person.id_number'], salt: 'salt' });
    expect(JSON.parse(p.schema).businessKey).toEqual(['id_number']);
    expect(p.key(record.id_number)).toBe(record.id_number);
    expect(p.value(record)).toEqual({ id_number: record.id_number, gender: 'MALE' });
  });

  it('refuses unknown fields and masking kinds that do not fit', () => {
    expect(() => projectionOf({ grantId: 'g', dataset: person!, fields: ['nope'], salt: 's' })).toThrow(/no field nope/);
    expect(() => projectionOf({ grantId: 'g', dataset: person!, fields: ['marital_status'], masking: { marital_status: 'partial' }, salt: 's' })).toThrow(
      /string/,
    );
    expect(() => projectionOf({ grantId: 'g', dataset: person!, fields: ['name'], masking: { name: 'scramble' }, salt: 's' })).toThrow(/unknown masking/);
  });
});
