import { beforeAll, describe, expect, it } from 'vitest';
import { checkRecord, codeLists, compileRules, ruleChecks, ruleSeverity } from '../../../services/cleansing/rules/index.ts';
import { loadSchemaFiles, parseRule, schemaRules, type DatasetSchema } from '../../../services/contract/dataset-schema.ts';
import { day, samplesV1, ts, zhangWeiId } from '../../schemas/samples.ts';
import { flipLast, now, residentIdChars, schemaOf } from './helpers.ts';

let schemas: DatasetSchema[] = [];

beforeAll(async () => {
  schemas = await loadSchemaFiles();
});

function schemaNamed(dataset: string): DatasetSchema {
  const found = schemas.find((s) => s.dataset === dataset);
  if (found === undefined) throw new Error(`no schema ${dataset}`);
  return found;
}

describe('the rule vocabulary', () => {
  it('has a check and a default severity for every rule name in schemaRules, and nothing else', () => {
    expect(Object.keys(ruleChecks).sort()).toEqual([...schemaRules].sort());
    expect(Object.keys(ruleSeverity).sort()).toEqual([...schemaRules].sort());
  });

  it('quarantines identity and integrity problems and lands the rest with an alert', () => {
    expect(ruleSeverity).toEqual({
      required: 'error',
      'not-blank': 'error',
      'resident-id': 'error',
      uscc: 'error',
      'party-id': 'error',
      're-unit-code': 'error',
      'date-past': 'error',
      'not-before': 'error',
      'max-length': 'warning',
      'phone-cn': 'warning',
      'region-code': 'warning',
      'code-list': 'warning',
      positive: 'warning',
      'non-negative': 'warning',
      longitude: 'warning',
      latitude: 'warning',
    });
  });

  it('implements every rule and code list that a file under schemas/ uses', () => {
    expect(schemas.length).toBeGreaterThanOrEqual(8);
    const used = new Set<string>();
    for (const schema of schemas) {
      for (const field of schema.fields) {
        for (const rule of field.rules) {
          const parsed = parseRule(rule);
          expect(parsed, `${schema.file} ${field.name} ${rule}`).not.toBeNull();
          if (parsed === null) continue;
          used.add(parsed.name);
          expect(ruleChecks[parsed.name], rule).toBeTypeOf('function');
          if (parsed.name === 'code-list') expect(Object.keys(codeLists), `${schema.file} ${field.name}`).toContain(parsed.param);
        }
      }
      expect(() => compileRules(schema.json)).not.toThrow();
      expect(compileRules(schema.json)).toHaveLength(schema.fields.reduce((n, f) => n + f.rules.length, 0));
    }
    // The schemas exercise most of the vocabulary; the rest is covered by the per-rule tests.
    expect(used.size).toBeGreaterThanOrEqual(14);
  });
});

describe('checkRecord', () => {
  it('finds nothing wrong with the sample record of every dataset (on their day and today)', () => {
    for (const schema of schemas) {
      const sample = samplesV1[schema.dataset];
      expect(sample, schema.dataset).toBeDefined();
      if (sample === undefined) continue;
      expect(checkRecord(schema.json, sample, { now }), schema.dataset).toEqual([]);
      expect(checkRecord(schema.json, sample), schema.dataset).toEqual([]);
    }
  });

  it('skips optional fields that are null', () => {
    for (const schema of schemas) {
      const sample = samplesV1[schema.dataset] ?? {};
      const emptied = Object.fromEntries(schema.json.fields.map((f) => [f.name, Array.isArray(f.type) && f.type[0] === 'null' ? null : sample[f.name]]));
      expect(checkRecord(schema.json, emptied, { now }), schema.dataset).toEqual([]);
    }
  });

  it('lists every broken rule of a bad record, each with its field, rule text, severity and value', () => {
    const person = schemaNamed('base.natural_person');
    const bad = {
      ...samplesV1['base.natural_person'],
      id_number: flipLast(zhangWeiId, residentIdChars),
      name: '   ',
      ethnicity_code: '99',
      household_region_code: '990104',
      household_address: '地'.repeat(201),
      phone: '12345',
      education_code: null,
      death_date: day('1980-01-01'),
      updated_at: ts('2030-01-01T00:00:00+08:00'),
    };
    const findings = checkRecord(person.json, bad, { now });
    expect(findings.map((f) => [f.field, f.rule, f.severity])).toEqual([
      ['id_number', 'resident-id', 'error'],
      ['name', 'not-blank', 'error'],
      ['ethnicity_code', 'code-list:gb3304-ethnicity', 'warning'],
      ['household_region_code', 'region-code', 'warning'],
      ['household_address', 'max-length:200', 'warning'],
      ['phone', 'phone-cn', 'warning'],
      ['death_date', 'not-before:birth_date', 'error'],
      ['updated_at', 'date-past', 'error'],
    ]);
    expect(findings[0]).toEqual({
      field: 'id_number',
      rule: 'resident-id',
      severity: 'error',
      message: '公民身份号码校验码错误 (GB 11643 check digit should be 3)',
      value: bad.id_number,
    });
  });

  it('reports a missing required field once, and no other rule on it', () => {
    const entity = schemaNamed('base.legal_entity');
    const { uscc: _dropped, ...rest } = samplesV1['base.legal_entity'] ?? {};
    expect(checkRecord(entity.json, rest, { now })).toEqual([
      { field: 'uscc', rule: 'required', severity: 'error', message: '必填项为空 (required value is missing or empty)', value: null },
    ]);
  });

  it('does not mutate the record', () => {
    const schema = schemaNamed('base.natural_person');
    const record = { ...samplesV1['base.natural_person'], phone: 'bad' };
    const copy = structuredClone(record);
    checkRecord(schema.json, Object.freeze(record), { now });
    expect(record).toEqual(copy);
  });

  it('compiles a schema once', () => {
    const schema = schemaNamed('base.land_parcel');
    expect(compileRules(schema.json)).toBe(compileRules(schema.json));
  });

  it.each([
    ['an unknown rule', ['no-such-rule'], /unknown rule "no-such-rule"/],
    ['max-length without a length', ['max-length'], /needs a positive length/],
    ['max-length:0', ['max-length:0'], /needs a positive length/],
    ['not-before naming no field', ['not-before:nowhere'], /names no field/],
    ['a parameter on a rule without one', ['uscc:strict'], /takes no parameter/],
    ['an unknown code list', ['code-list:nope'], /unknown code list "nope"/],
  ])('throws on a schema with %s (a programming error, not a bad record)', (_, rules, message) => {
    expect(() => checkRecord(schemaOf([{ name: 'x', rules }]), { x: 'a' })).toThrow(message);
  });
});
