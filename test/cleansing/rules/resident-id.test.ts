import { describe, expect, it } from 'vitest';
import { residentIdCheckChar, residentIdProblem, ruleSeverity } from '../../../services/cleansing/rules/index.ts';
import { residentIdCheckChar as referenceCheckChar } from '../../schemas/check-digits.ts';
import { liNaId, zhangWeiId } from '../../schemas/samples.ts';
import { findingsFor, flipLast, lcg, now, personId, problem, residentIdChars } from './helpers.ts';

describe('resident-id (GB 11643-1999)', () => {
  it('computes the ISO 7064 MOD 11-2 check character like the reference, and the standard example', () => {
    expect(residentIdCheckChar('11010519491231002')).toBe('X');
    const random = lcg(11643);
    for (let n = 0; n < 2000; n++) {
      const first17 = Array.from({ length: 17 }, () => Math.floor(random() * 10)).join('');
      expect(residentIdCheckChar(first17)).toBe(referenceCheckChar(first17));
    }
    expect(() => residentIdCheckChar('1234')).toThrow(/17 digits/);
  });

  it.each([
    ['sample 张伟', zhangWeiId],
    ['sample 李娜', liNaId],
    ['the GB 11643 example (check X)', '11010519491231002X'],
    ['born on a leap day', personId('34010420000229001')],
    ['born on 1890-01-01, the earliest plausible day', personId('34010418900101001')],
    ['born today (China time)', personId('34010420240601001')],
    ['a city-level address code', personId('44030019851111003')],
    ['a Hong Kong residence permit (810000)', personId('81000019900101001')],
    ['a Macao residence permit (820000)', personId('82000019900101001')],
    ['a Taiwan residence permit (830000)', personId('83000019900101001')],
    ['Taiwan province code 71', personId('71010119900101001')],
  ])('accepts %s', (_, id) => {
    expect(residentIdProblem(id, now)).toBeNull();
    expect(problem('resident-id', id)).toBeNull();
  });

  it.each([
    ['a flipped check digit (张伟)', flipLast(zhangWeiId, residentIdChars), '公民身份号码校验码错误 (GB 11643 check digit should be 3)'],
    ['a flipped check digit (李娜)', flipLast(liNaId, residentIdChars), 'check digit should be 3'],
    ['a digit where X belongs', '110105194912310020', 'check digit should be X'],
    ['a 15-digit old ID', '340104900315773', '15位旧身份证号码须升级为18位'],
    ['a lower-case x (not normalized)', '11010519491231002x', '须为大写X'],
    ['17 characters', zhangWeiId.slice(0, 17), 'got 17 characters'],
    ['19 characters', `${zhangWeiId}1`, 'got 19 characters'],
    ['a letter inside', '3401041990031577A3', 'expected 17 digits and a check character'],
    ['full-width digits (not normalized)', '３４０１０４１９９００３１５７７３３', 'expected 17 digits'],
    ['province 99', personId('99010419900315773'), 'not a province-level code'],
    ['province 00', personId('00010419900315773'), 'not a province-level code'],
    ['a bare province address code', personId('34000019900315773'), 'names a province'],
    ['Feb 30', personId('34010419900230773'), 'not a calendar date'],
    ['Feb 29 of a year that is no leap year (1900)', personId('34010419000229001'), 'not a calendar date'],
    ['month 13', personId('34010419901301773'), 'not a calendar date'],
    ['day 00', personId('34010419900100773'), 'not a calendar date'],
    ['born before 1890', personId('34010418891231001'), 'before 1890'],
    ['born tomorrow', personId('34010420240602001'), 'in the future'],
    ['born in 2099', personId('34010420990101001'), 'in the future'],
  ])('refuses %s', (_, id, message) => {
    expect(residentIdProblem(id, now)).toContain(message);
    expect(problem('resident-id', id)).toContain(message);
  });

  it('uses the clock it is given: a birth date in the future becomes valid once the day comes', () => {
    const id = personId('34010420240602001');
    expect(residentIdProblem(id, now)).toContain('future');
    expect(residentIdProblem(id, now + 12 * 3_600_000)).toBeNull();
  });

  it('never repeats the number in its message', () => {
    const bad = flipLast(zhangWeiId, residentIdChars);
    for (const id of [bad, personId('99010419900315773'), personId('34010419900230773')]) {
      const message = residentIdProblem(id, now) ?? '';
      expect(message).not.toContain(id.slice(0, 6));
      expect(message).not.toContain(id.slice(6, 14));
    }
  });

  it('is an error, reported with the rule, field and value', () => {
    expect(ruleSeverity['resident-id']).toBe('error');
    const bad = flipLast(zhangWeiId, residentIdChars);
    expect(findingsFor('resident-id', bad)).toEqual([
      { field: 'subject', rule: 'resident-id', severity: 'error', message: '公民身份号码校验码错误 (GB 11643 check digit should be 3)', value: bad },
    ]);
  });

  it('reports a value that is not a string as a type error', () => {
    expect(problem('resident-id', 340104199003157700)).toContain('expected a string, got number');
  });

  it('skips null on an optional field', () => {
    expect(findingsFor('resident-id', null, ['null', 'string'])).toEqual([]);
  });
});
