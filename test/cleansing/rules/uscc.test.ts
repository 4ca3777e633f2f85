import { describe, expect, it } from 'vitest';
import { orgCodeCheckChar, partyIdProblem, ruleSeverity, usccCheckChar, usccProblem } from '../../../services/cleansing/rules/index.ts';
import { isValidUscc, orgCodeCheckChar as referenceOrgCheck, usccCheckChar as referenceUsccCheck } from '../../schemas/check-digits.ts';
import { hefeiSamrUscc, liNaId, shushanCourtUscc, shushanSamrUscc, wanjiangUscc, xinyuanUscc, zhangWeiId } from '../../schemas/samples.ts';
import { findingsFor, flipLast, lcg, now, personId, problem, residentIdChars, usccChars, usccOf } from './helpers.ts';

const samples = [wanjiangUscc, xinyuanUscc, hefeiSamrUscc, shushanSamrUscc, shushanCourtUscc];

describe('uscc (GB 32100-2015)', () => {
  it('computes both check characters like the reference', () => {
    const random = lcg(32100);
    const pick = (alphabet: string): string => alphabet.charAt(Math.floor(random() * alphabet.length));
    for (let n = 0; n < 2000; n++) {
      const first17 = Array.from({ length: 17 }, () => pick(usccChars)).join('');
      expect(usccCheckChar(first17)).toBe(referenceUsccCheck(first17));
      const body = first17.slice(8, 16);
      expect(orgCodeCheckChar(body)).toBe(referenceOrgCheck(body));
    }
    expect(() => usccCheckChar('91340100MA2N1B7K')).toThrow(/17 characters/);
    expect(() => usccCheckChar('91340100MA2N1B7KI')).toThrow(/not in the USCC character set/);
  });

  const accepted: readonly (readonly [string, string])[] = [
    ...samples.map((code): [string, string] => [`sample ${code}`, code]),
    ['a central authority (region 100000)', '11100000000013338W'],
    ['a social organisation (5 民政, 1 社会团体)', usccOf('51340100', 'MJ123456')],
    ['a foundation (5 民政, 3 基金会)', usccOf('53110000', '50000125')],
    ['an individual business (9 工商, 2 个体工商户)', usccOf('92340104', 'MA2N1B7K')],
    ['a farmers cooperative (9 工商, 3)', usccOf('93340104', 'MA2N1B7K')],
    ['a law firm (3 司法行政, 1)', usccOf('31340000', 'E0000123')],
    ['a trade union (8 工会, 1)', usccOf('81340100', 'MC0000X1')],
    ['a village collective (N 农业, 2)', usccOf('N2340104', 'MF0000A1')],
    ['a military institution (A, 1)', usccOf('A1100000', 'MG000001')],
    ['another authority (Y, 1)', usccOf('Y1340100', 'MH000001')],
  ];

  it.each(accepted)('accepts %s', (_, code) => {
    expect(isValidUscc(code)).toBe(true);
    expect(usccProblem(code)).toBeNull();
    expect(problem('uscc', code)).toBeNull();
  });

  const wrongOrgCheck = (() => {
    const head = '91340100MA2N1B7K';
    const first17 = `${head}${referenceOrgCheck('MA2N1B7K') === '6' ? '7' : '6'}`;
    return first17 + referenceUsccCheck(first17);
  })();

  it.each([
    ['a flipped check character', flipLast(wanjiangUscc, usccChars), '统一社会信用代码校验码错误 (GB 32100 check character should be P)'],
    ['a flipped check character (court)', flipLast(shushanCourtUscc, usccChars), 'should be P'],
    ['the letter I', `91340100IA2N1B7K5P`, '含非法字符 I'],
    ['the letter O', `91340100OA2N1B7K5P`, '含非法字符 O'],
    ['the letter S', `91340100SA2N1B7K5P`, '含非法字符 S'],
    ['the letter V', `91340100VA2N1B7K5P`, '含非法字符 V'],
    ['the letter Z', `91340100ZA2N1B7K5P`, '含非法字符 Z'],
    ['two excluded letters', `91340100OI2N1B7K5P`, '含非法字符 O、I'],
    ['lower-case letters (not normalized)', wanjiangUscc.toLowerCase(), '须大写'],
    ['a hyphen', '91340100-MA2N1B7K5', 'only digits and capital letters'],
    ['17 characters', wanjiangUscc.slice(0, 17), 'got 17'],
    ['19 characters', `${wanjiangUscc}1`, 'got 19'],
    ['an unknown registration authority (B)', usccOf('B1340100', 'MA2N1B7K'), '登记管理部门代码无效'],
    ['a type 工商 does not register (94)', usccOf('94340100', 'MA2N1B7K'), 'not an organisation type registered by 工商'],
    ['a type 民政 does not register (55)', usccOf('55340100', 'MA2N1B7K'), 'registered by 民政'],
    ['province 99 in the region code', usccOf('91990100', 'MA2N1B7K'), '行政区划码无效'],
    ['letters in the region code', usccOf('91AB0100', 'MA2N1B7K'), '行政区划码无效'],
    ['a wrong GB 11714 organization code check character', wrongOrgCheck, 'GB 11714 check character, the 17th, should be 5'],
  ])('refuses %s', (_, code, message) => {
    expect(usccProblem(code)).toContain(message);
    expect(problem('uscc', code)).toContain(message);
  });

  it('is an error', () => {
    expect(ruleSeverity.uscc).toBe('error');
    expect(findingsFor('uscc', flipLast(wanjiangUscc, usccChars))[0]?.severity).toBe('error');
  });

  it('skips null on an optional field and reports a non-string', () => {
    expect(findingsFor('uscc', null, ['null', 'string'])).toEqual([]);
    expect(problem('uscc', 91340100)).toContain('expected a string');
  });
});

describe('party-id', () => {
  it.each([
    ['a resident ID', zhangWeiId],
    ['a resident ID ending in X', '11010519491231002X'],
    ['a USCC', wanjiangUscc],
    ['a USCC made of digits only', usccOf('12340100', '00298363')],
  ])('accepts %s', (_, code) => {
    expect(partyIdProblem(code, now)).toBeNull();
    expect(problem('party-id', code)).toBeNull();
  });

  it.each([
    ['a person with a wrong check digit: explains the resident ID', flipLast(liNaId, residentIdChars), 'GB 11643 check digit should be 3'],
    ['a 15-digit ID', '340104900315773', '须升级为18位'],
    ['a person born in the future', personId('34010420300101001'), 'future'],
    ['an organisation with a wrong check character: explains the USCC', flipLast(wanjiangUscc, usccChars), 'GB 32100 check character should be P'],
    ['an organisation code with an excluded letter', '91340100IA2N1B7K5P', '含非法字符 I'],
    ['something else', 'N/A', 'expected 18 characters'],
  ])('refuses %s', (_, code, message) => {
    const found = partyIdProblem(code, now);
    expect(found).toMatch(/^主体代码无效 \(neither a valid resident ID nor a valid USCC\): /);
    expect(found).toContain(message);
    expect(problem('party-id', code)).toBe(found);
  });

  it('is an error', () => {
    expect(ruleSeverity['party-id']).toBe('error');
  });
});
