import { describe, expect, it } from 'vitest';
import { checkRecord, codeListNamed, codeLists, ruleSeverity } from '../../../services/cleansing/rules/index.ts';
import { gb3304Ethnicity } from '../../../services/cleansing/rules/code-lists/gb3304-ethnicity.ts';
import { iso4217Currencies } from '../../../services/cleansing/rules/code-lists/iso4217.ts';
import { hefeiSamrUscc } from '../../schemas/samples.ts';
import { findingsFor, flipLast, problem, schemaOf, usccChars } from './helpers.ts';

describe('code lists', () => {
  it('GB/T 3304 has exactly the 56 ethnic groups 01-56, plus 97 and 98', () => {
    const expected = [...Array.from({ length: 56 }, (_, i) => String(i + 1).padStart(2, '0')), '97', '98'];
    expect(Object.keys(gb3304Ethnicity).sort()).toEqual(expected);
    expect(gb3304Ethnicity['01']).toBe('汉族');
    expect(gb3304Ethnicity['56']).toBe('基诺族');
  });

  it('ISO 4217 codes are three capitals, unique, and include the ones the region uses', () => {
    expect(new Set(iso4217Currencies).size).toBe(iso4217Currencies.length);
    for (const code of iso4217Currencies) expect(code).toMatch(/^[A-Z]{3}$/);
    for (const code of ['CNY', 'HKD', 'MOP', 'TWD', 'USD', 'EUR', 'JPY']) expect(codeListNamed('iso4217').has(code)).toBe(true);
  });

  it.each([
    ['gb3304-ethnicity', ['01', '56', '97', '98'], ['00', '57', '96', '99', '1', '汉族']],
    ['gb4658-education', ['10', '11', '21', '31', '61', '90'], ['00', '24', '72', '99', '本科']],
    ['gb21010-land-use', ['01', '0101', '0701', '0702', '1207'], ['0708', '13', '070', 'A1']],
    ['iso4217', ['CNY', 'USD', 'XAU'], ['RMB', 'cny', 'CN', 'HRK']],
    ['samr-enterprise-type', ['1130', '1100', '4531', '5110', '6150', '9100'], ['1131', '0000', '113', '个体']],
    [
      'license-type',
      ['11100000000013338W009', `${hefeiSamrUscc}001`],
      [`${flipLast(hefeiSamrUscc, usccChars)}001`, '11100000000013338W000', '11100000000013338W', '11100000000013338W0091'],
    ],
    ['credit-record-category', ['SXBZXR', 'ZDSSWFSXZT', 'AJNSR', 'QT'], ['sxbzxr', 'XYZ', '失信被执行人']],
  ])('%s', (name, valid, invalid) => {
    for (const code of valid) expect(problem(`code-list:${name}`, code), code).toBeNull();
    for (const code of invalid) expect(problem(`code-list:${name}`, code), code).toBe(`代码不在${codeListNamed(name).title}中 (not a code of list ${name})`);
  });

  it('names every list the schemas use, each upper-case (codes are digits or capitals)', () => {
    expect(Object.keys(codeLists).sort()).toEqual([
      'credit-record-category',
      'gb21010-land-use',
      'gb3304-ethnicity',
      'gb4658-education',
      'iso4217',
      'license-type',
      'samr-enterprise-type',
    ]);
    for (const list of Object.values(codeLists)) expect(list.upperCase).toBe(true);
  });

  it('an unknown list name is a programming error, found before any value is checked', () => {
    expect(() => codeListNamed('gb9999-nothing')).toThrow(/unknown code list "gb9999-nothing"/);
    const schema = schemaOf([{ name: 'x', type: ['null', 'string'], default: null, rules: ['code-list:gb9999-nothing'] }]);
    expect(() => checkRecord(schema, { x: null })).toThrow(/unknown code list/);
  });

  it('is a warning that skips null and reports non-strings', () => {
    expect(ruleSeverity['code-list']).toBe('warning');
    expect(findingsFor('code-list:gb3304-ethnicity', '99')[0]).toMatchObject({ rule: 'code-list:gb3304-ethnicity', severity: 'warning', value: '99' });
    expect(findingsFor('code-list:gb3304-ethnicity', null, ['null', 'string'])).toEqual([]);
    expect(problem('code-list:gb3304-ethnicity', 1)).toContain('expected a string');
  });
});
