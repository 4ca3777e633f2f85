import { describe, expect, it } from 'vitest';
import { ruleSeverity } from '../../../services/cleansing/rules/index.ts';
import { codePointLength, isBlank, trimText } from '../../../services/cleansing/rules/text.ts';
import { findingsFor, problem } from './helpers.ts';

describe('required', () => {
  it.each([['张伟'], [' '], ['0'], [0], [false], ['MALE']])('accepts %j', (value) => {
    expect(problem('required', value)).toBeNull();
  });

  it.each([[null], [undefined], ['']])('refuses %j', (value) => {
    expect(problem('required', value)).toBe('必填项为空 (required value is missing or empty)');
  });

  it('is an error, and reports a missing field with value null', () => {
    expect(ruleSeverity.required).toBe('error');
    expect(findingsFor('required', undefined)).toEqual([
      { field: 'subject', rule: 'required', severity: 'error', message: '必填项为空 (required value is missing or empty)', value: null },
    ]);
  });
});

describe('not-blank', () => {
  it.each([['张伟'], [' 张伟 '], ['a']])('accepts %j', (value) => {
    expect(problem('not-blank', value)).toBeNull();
  });

  it.each([[''], [' '], ['\t\n'], ['\u3000\u3000'], ['\u200B'], ['\uFEFF ']])('refuses %j', (value) => {
    expect(problem('not-blank', value)).toBe('不能为空白 (must contain a non-whitespace character)');
  });

  it('refuses null on a field that is not optional, skips it on an optional one', () => {
    expect(problem('not-blank', null)).toBe('不能为空 (must not be null)');
    expect(findingsFor('not-blank', null, ['null', 'string'])).toEqual([]);
  });

  it('is an error', () => {
    expect(ruleSeverity['not-blank']).toBe('error');
    expect(findingsFor('not-blank', ' ')[0]?.severity).toBe('error');
  });

  it('shares its idea of blank with trimText', () => {
    expect(trimText('\u200B 张伟 \u3000')).toBe('张伟');
    expect(isBlank('\u2060')).toBe(true);
  });
});

describe('max-length:<n>', () => {
  it('counts code points, not UTF-16 units', () => {
    expect(codePointLength('𠀀𠀁')).toBe(2);
    expect('𠀀𠀁'.length).toBe(4);
    expect(problem('max-length:2', '𠀀𠀁')).toBeNull();
    expect(problem('max-length:2', '𠀀𠀁𠀂')).toBe('长度超过2个字符 (at most 2 characters, got 3)');
  });

  it.each([
    ['max-length:5', '合肥市蜀山', null],
    ['max-length:5', '合肥市蜀山区', '长度超过5个字符 (at most 5 characters, got 6)'],
    ['max-length:1', '', null],
    ['max-length:50', 'x'.repeat(51), '长度超过50个字符 (at most 50 characters, got 51)'],
  ])('%s on %j', (rule, value, expected) => {
    expect(problem(rule, value)).toBe(expected);
  });

  it('is a warning that skips null', () => {
    expect(ruleSeverity['max-length']).toBe('warning');
    expect(findingsFor('max-length:1', 'ab')[0]).toMatchObject({ rule: 'max-length:1', severity: 'warning' });
    expect(findingsFor('max-length:1', null, ['null', 'string'])).toEqual([]);
  });
});

describe('positive and non-negative', () => {
  const decimal = { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 };

  it.each([
    ['positive', 1, null],
    ['positive', 0.01, null],
    ['positive', 500_000_000, null],
    ['positive', 0, '须大于0 (must be > 0)'],
    ['positive', -0, '须大于0 (must be > 0)'],
    ['positive', -1, '须大于0 (must be > 0)'],
    ['non-negative', 0, null],
    ['non-negative', -0, null],
    ['non-negative', 95, null],
    ['non-negative', -1, '不能为负数 (must be >= 0)'],
    ['non-negative', -0.5, '不能为负数 (must be >= 0)'],
  ])('%s on %d', (rule, value, expected) => {
    expect(problem(rule, value, 'double')).toBe(expected);
  });

  it('reads bigints and Avro decimal bytes', () => {
    expect(problem('positive', 5n, 'long')).toBeNull();
    expect(problem('non-negative', -5n, 'long')).toBe('不能为负数 (must be >= 0)');
    expect(problem('positive', Buffer.from([0x01, 0x00]), decimal)).toBeNull();
    expect(problem('positive', Buffer.from([0x00, 0x00]), decimal)).toBe('须大于0 (must be > 0)');
    expect(problem('non-negative', Buffer.from([0xff, 0x38]), decimal)).toBe('不能为负数 (must be >= 0)');
    expect(problem('non-negative', Buffer.alloc(0), decimal)).toBeNull();
  });

  it('reports non-numbers and skips null', () => {
    expect(problem('positive', '5', 'double')).toContain('expected a number, got string');
    expect(problem('positive', Number.NaN, 'double')).toContain('expected a number');
    expect(findingsFor('positive', null, ['null', 'long'])).toEqual([]);
    expect(findingsFor('non-negative', null, ['null', 'long'])).toEqual([]);
  });

  it('are warnings', () => {
    expect(ruleSeverity.positive).toBe('warning');
    expect(ruleSeverity['non-negative']).toBe('warning');
    expect(findingsFor('positive', -1, 'long')[0]?.severity).toBe('warning');
  });
});
