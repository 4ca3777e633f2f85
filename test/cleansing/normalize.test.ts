import { beforeAll, describe, expect, it } from 'vitest';
import { normalizeRecord } from '../../services/cleansing/normalize.ts';
import { checkRecord } from '../../services/cleansing/rules/index.ts';
import { loadSchemaFiles, type DatasetSchema } from '../../services/contract/dataset-schema.ts';
import { samplesV1 } from '../schemas/samples.ts';
import { now, schemaOf } from './rules/helpers.ts';

let schemas: DatasetSchema[] = [];

beforeAll(async () => {
  schemas = await loadSchemaFiles();
});

function schemaNamed(dataset: string): DatasetSchema {
  const found = schemas.find((s) => s.dataset === dataset);
  if (found === undefined) throw new Error(`no schema ${dataset}`);
  return found;
}

function sample(dataset: string): Record<string, unknown> {
  return { ...samplesV1[dataset] };
}

/** Full-width form of ASCII text (U+FF01-U+FF5E; space as U+3000). */
function fullWidth(text: string): string {
  return text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).replace(/ /g, '\u3000');
}

/** One string field with the given rules, normalized. */
function normalizeOne(rules: string[], value: unknown, type: unknown = 'string'): unknown {
  return normalizeRecord(schemaOf([{ name: 'v', type, rules }]), { v: value }).value.v;
}

describe('normalizeRecord', () => {
  it('leaves every sample record as it is (they are canonical)', () => {
    for (const schema of schemas) {
      const record = sample(schema.dataset);
      const result = normalizeRecord(schema.json, record);
      expect(result.changes, schema.dataset).toEqual([]);
      expect(result.value, schema.dataset).toEqual(record);
    }
  });

  it('returns a new record, never mutating its input, and lists each change', () => {
    const schema = schemaNamed('base.natural_person');
    const input = Object.freeze({ ...sample('base.natural_person'), id_number: ' 11010519491231002x ', name: '\u3000张伟 ', phone: '+86 139-0551-2345' });
    const before = structuredClone(input);
    const result = normalizeRecord(schema.json, input);
    expect(input).toEqual(before);
    expect(result.value).not.toBe(input);
    expect(result.value).toMatchObject({ id_number: '11010519491231002X', name: '张伟', phone: '13905512345' });
    expect(result.changes).toEqual([
      { field: 'id_number', from: ' 11010519491231002x ', to: '11010519491231002X' },
      { field: 'name', from: '\u3000张伟 ', to: '张伟' },
      { field: 'phone', from: '+86 139-0551-2345', to: '13905512345' },
    ]);
  });

  it('keeps fields the schema does not know, and never changes a type', () => {
    const schema = schemaNamed('base.natural_person');
    const record = { ...sample('base.natural_person'), extra: ' x ', name: 42, birth_date: 7378, phone: null };
    const result = normalizeRecord(schema.json, record);
    expect(result.value).toEqual(record);
    expect(result.changes).toEqual([]);
  });

  it('leaves enum symbols, numbers, dates and booleans alone', () => {
    const schema = schemaNamed('theme.market_inspection');
    const record = { ...sample('theme.market_inspection'), inspection_type: ' random ', publicized: true };
    expect(normalizeRecord(schema.json, record).value.inspection_type).toBe(' random ');
  });
});

describe('identifiers (resident-id, uscc, party-id, region-code, re-unit-code)', () => {
  it.each([
    ['resident-id', '11010519491231002x', '11010519491231002X'],
    ['resident-id', `${fullWidth('34010419900315773')}３`, '340104199003157733'],
    ['resident-id', '340104 19900315 7733', '340104199003157733'],
    ['resident-id', '\uFEFF340104199003157733\u200B', '340104199003157733'],
    ['uscc', '91340100ma2n1b7k5p', '91340100MA2N1B7K5P'],
    ['uscc', fullWidth('91340100MA2N1B7K5P'), '91340100MA2N1B7K5P'],
    ['uscc', '9134 0100 MA2N 1B7K 5P', '91340100MA2N1B7K5P'],
    ['party-id', '11010519491231002x', '11010519491231002X'],
    ['party-id', ' 91340100ma2n1b7k5p', '91340100MA2N1B7K5P'],
    ['region-code', '３４０１０４', '340104'],
    ['region-code', ' 340104 ', '340104'],
    ['re-unit-code', '340104003002gb00123f00030502', '340104003002GB00123F00030502'],
    ['re-unit-code', '340104 003002 GB00123 F00030502', '340104003002GB00123F00030502'],
  ])('%s: %j → %s', (rule, raw, expected) => {
    expect(normalizeOne([rule], raw)).toBe(expected);
  });

  it('turns a lower-case x into the X the resident-id rule accepts', () => {
    const schema = schemaNamed('base.natural_person');
    const record = { ...sample('base.natural_person'), id_number: '11010519491231002x' };
    expect(checkRecord(schema.json, record, { now }).map((f) => f.rule)).toEqual(['resident-id']);
    expect(checkRecord(schema.json, normalizeRecord(schema.json, record).value, { now })).toEqual([]);
  });

  it('does not invent a valid code: a 15-digit ID stays 15 digits', () => {
    expect(normalizeOne(['resident-id'], '340104900315773')).toBe('340104900315773');
  });
});

describe('codes (code-list)', () => {
  it.each([
    ['code-list:iso4217', ' cny ', 'CNY'],
    ['code-list:iso4217', 'ＣＮＹ', 'CNY'],
    ['code-list:gb3304-ethnicity', '０１', '01'],
    ['code-list:credit-record-category', 'sxbzxr', 'SXBZXR'],
    ['code-list:license-type', '11100000000013338w009', '11100000000013338W009'],
  ])('%s: %j → %s', (rule, raw, expected) => {
    expect(normalizeOne([rule], raw)).toBe(expected);
  });
});

describe('phones (phone-cn)', () => {
  it.each([
    ['+86 139 0551 2345', '13905512345'],
    ['0086 139 0551 2345', '13905512345'],
    ['86-139-0551-2345', '13905512345'],
    ['１３９０５５１２３４５', '13905512345'],
    ['＋８６ １３９０５５１２３４５', '13905512345'],
    ['（0551）65321234', '0551-65321234'],
    ['0551－65321234', '0551-65321234'],
    ['055165321234', '0551-65321234'],
    ['0551-65321234转801', '0551-65321234-801'],
    [' 010 6234 5678 ', '010-62345678'],
    ['65321234', '65321234'],
    [' 无 ', '无'],
  ])('%j → %s', (raw, expected) => {
    expect(normalizeOne(['phone-cn'], raw, ['null', 'string'])).toBe(expected);
  });

  it('leaves null alone', () => {
    expect(normalizeOne(['phone-cn'], null, ['null', 'string'])).toBeNull();
  });
});

describe('text (every other string)', () => {
  it.each([
    ['trims', '  张伟  ', '张伟'],
    ['trims ideographic and zero-width spaces', '\u3000张伟\u200B', '张伟'],
    ['makes full-width digits and letters half-width', '长江西路１８９号３栋Ａ座', '长江西路189号3栋A座'],
    ['makes an inner ideographic space a plain space', '合肥市\u3000蜀山区', '合肥市 蜀山区'],
    ['keeps full-width punctuation (Chinese typography)', '（2023）皖0104执1234号', '（2023）皖0104执1234号'],
    ['keeps Chinese commas and semicolons', '软件开发；信息系统集成服务，数据处理', '软件开发；信息系统集成服务，数据处理'],
    ['keeps inner runs of whitespace', '第一行\n第二行  末尾', '第一行\n第二行  末尾'],
  ])('%s', (_, raw, expected) => {
    expect(normalizeOne(['not-blank', 'max-length:200'], raw)).toBe(expected);
    expect(normalizeOne([], raw)).toBe(expected);
  });

  it('normalizes an optional text field and skips it when null', () => {
    expect(normalizeOne(['max-length:200'], ' 地址 ', ['null', 'string'])).toBe('地址');
    expect(normalizeOne(['max-length:200'], null, ['null', 'string'])).toBeNull();
  });

  it('is idempotent', () => {
    const schema = schemaNamed('base.legal_entity');
    const messy = {
      ...sample('base.legal_entity'),
      uscc: ' ９１３４０１００ＭＡ２Ｎ１Ｂ７Ｋ５Ｐ ',
      name: '\u3000合肥市皖江数字科技有限公司 ',
      capital_currency: 'cny',
      phone: '(0551) 6532 1234',
      address: '望江西路８００号',
    };
    const once = normalizeRecord(schema.json, messy).value;
    const twice = normalizeRecord(schema.json, once);
    expect(twice.changes).toEqual([]);
    expect(checkRecord(schema.json, once, { now })).toEqual([]);
  });
});
