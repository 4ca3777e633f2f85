import { wrongType, type RuleCheck } from './finding.ts';

const mobile = /^1[3-9]\d{9}$/;
/**
 * Area code then local number: 010 and 02x are the 3-digit area codes and have 8-digit local
 * numbers; every other area code has 4 digits and 7- or 8-digit local numbers. Local numbers start
 * with 2-9. An optional extension follows a dash.
 */
const landline = /^(?:(?:010|02\d)-?[2-9]\d{7}|0[3-9]\d{2}-?[2-9]\d{6,7})(?:-\d{1,6})?$/;

export function isPhoneCn(phone: string): boolean {
  return mobile.test(phone) || landline.test(phone);
}

export const phoneCn: RuleCheck = (value) => {
  if (typeof value !== 'string') return wrongType('a string', value);
  return isPhoneCn(value)
    ? null
    : '电话号码格式错误 (expected a mainland mobile number 1[3-9] + 9 digits, or a landline with its area code such as 0551-65321234)';
};

/** `0AAA-NNNNNNNN` from a run of digits, or null when the digits are no landline. */
function landlineOf(digits: string): string | null {
  const match = /^(010|02\d)([2-9]\d{7})$/.exec(digits) ?? /^(0[3-9]\d{2})([2-9]\d{6,7})$/.exec(digits);
  return match ? `${match[1]}-${match[2]}` : null;
}

const extensionMark = /^(.*?)(?:转|分机|ext\.?|x|#|,)(\d{1,6})$/i;

/**
 * One spelling per number: a mobile as its 11 digits (no +86/0086/86, spaces or dashes), a
 * landline as `0AAA-NNNNNNNN` (or `0AA-NNNNNNNN`) with `-EXT` for an extension. Anything it does
 * not recognise comes back unchanged, for the phone-cn rule to report. Expects half-width text.
 */
export function normalizePhone(phone: string): string {
  const compact = phone.replace(/[\s\u200B-\u200D\u2060]/g, '');
  const marked = extensionMark.exec(compact);
  const main = (marked ? (marked[1] ?? '') : compact).replace(/[.()]/g, '');
  const extension = marked ? (marked[2] ?? null) : null;
  if (!/^\+?[\d-]+$/.test(main)) return phone;
  const prefix = /^(?:\+|00)-?86-?/.exec(main);
  // Another country's number: nothing to normalize, and not ours to guess.
  if (main.startsWith('+') && prefix === null) return phone;
  const body = prefix ? main.slice(prefix[0].length) : main;
  const digits = body.replace(/-/g, '');

  if (extension === null) {
    if (mobile.test(digits)) return digits;
    if (prefix === null && /^861[3-9]\d{9}$/.test(digits)) return digits.slice(2);
  }
  // +86 551 65321234: the international form drops the trunk 0.
  const trunk = (d: string): string => (prefix !== null && !d.startsWith('0') ? `0${d}` : d);
  const whole = landlineOf(trunk(digits));
  if (whole !== null) return extension === null ? whole : `${whole}-${extension}`;

  // A dash before the last group may be an extension: 0551-65321234-801.
  const groups = body.split('-');
  const last = groups.at(-1) ?? '';
  if (extension === null && groups.length >= 2 && /^\d{1,6}$/.test(last)) {
    const line = landlineOf(trunk(groups.slice(0, -1).join('')));
    if (line !== null) return `${line}-${last}`;
  }
  return phone;
}
