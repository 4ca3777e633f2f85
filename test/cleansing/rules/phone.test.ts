import { describe, expect, it } from 'vitest';
import { isPhoneCn, normalizePhone, ruleSeverity } from '../../../services/cleansing/rules/index.ts';
import { findingsFor, problem } from './helpers.ts';

describe('phone-cn', () => {
  it.each([
    ['13905512345'],
    ['19912345678'],
    ['0551-65321234'],
    ['055165321234'],
    ['0551-6532123'],
    ['010-62345678'],
    ['021-52345678'],
    ['0755-23456789'],
    ['0551-65321234-801'],
    ['010-62345678-1'],
  ])('accepts %s', (phone) => {
    expect(isPhoneCn(phone)).toBe(true);
    expect(problem('phone-cn', phone)).toBeNull();
  });

  it.each([
    ['a mobile starting 12', '12905512345'],
    ['a mobile with 10 digits', '1390551234'],
    ['a mobile with 12 digits', '139055123456'],
    ['a mobile not yet normalized (+86)', '+8613905512345'],
    ['a mobile with spaces (not normalized)', '139 0551 2345'],
    ['a local number without area code', '65321234'],
    ['a 3-digit area code with 7 digits', '010-6234567'],
    ['a local number starting with 1', '0551-15321234'],
    ['an area code starting 00', '0051-65321234'],
    ['a 9-digit local number', '0551-653212345'],
    ['a 400 service number', '4008123123'],
    ['an extension of 7 digits', '0551-65321234-1234567'],
    ['two numbers', '13905512345/0551-65321234'],
    ['text', '无'],
    ['empty', ''],
  ])('refuses %s', (_, phone) => {
    expect(isPhoneCn(phone)).toBe(false);
    expect(problem('phone-cn', phone)).toContain('电话号码格式错误');
  });

  it('is a warning, and skips null', () => {
    expect(ruleSeverity['phone-cn']).toBe('warning');
    expect(findingsFor('phone-cn', '65321234')[0]?.severity).toBe('warning');
    expect(findingsFor('phone-cn', null, ['null', 'string'])).toEqual([]);
  });
});

describe('normalizePhone', () => {
  it.each([
    ['13905512345', '13905512345'],
    ['139 0551 2345', '13905512345'],
    ['139-0551-2345', '13905512345'],
    ['+86 139 0551 2345', '13905512345'],
    ['+86-139-0551-2345', '13905512345'],
    ['(+86)13905512345', '13905512345'],
    ['0086 13905512345', '13905512345'],
    ['8613905512345', '13905512345'],
    ['0551-65321234', '0551-65321234'],
    ['055165321234', '0551-65321234'],
    ['0551 6532 1234', '0551-65321234'],
    ['(0551)65321234', '0551-65321234'],
    ['0551.6532.1234', '0551-65321234'],
    ['05516532123', '0551-6532123'],
    ['01062345678', '010-62345678'],
    ['+86 10 6234 5678', '010-62345678'],
    ['+86 (0)10 6234 5678', '010-62345678'],
    ['+86 551 6532 1234', '0551-65321234'],
    ['0551-65321234-801', '0551-65321234-801'],
    ['055165321234-801', '0551-65321234-801'],
    ['0551-65321234转801', '0551-65321234-801'],
    ['0551 65321234 分机 801', '0551-65321234-801'],
    ['0551-65321234 ext. 801', '0551-65321234-801'],
    ['0551-65321234x801', '0551-65321234-801'],
    ['0551-65321234#801', '0551-65321234-801'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizePhone(raw)).toBe(expected);
    expect(isPhoneCn(normalizePhone(raw))).toBe(true);
  });

  it.each([['65321234'], ['4008123123'], ['+1 415 555 1234'], ['13905512345/0551-65321234'], ['无'], [''], ['13905512345转1']])(
    'leaves %s unchanged: not a number it recognises',
    (raw) => {
      expect(normalizePhone(raw)).toBe(raw);
    },
  );

  it('is idempotent', () => {
    for (const raw of ['+86 139 0551 2345', '(0551)65321234', '0551-65321234转801', '01062345678']) {
      const once = normalizePhone(raw);
      expect(normalizePhone(once)).toBe(once);
    }
  });
});
