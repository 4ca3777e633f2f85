import { calendarDay, chinaToday } from './dates.ts';
import { wrongType, type RuleCheck } from './finding.ts';
import { isProvinceCode } from './regions.ts';
import { HubError } from '../../platform/errors.ts';

/** ISO 7064 MOD 11-2 weights 2^(17-i) mod 11, as GB 11643-1999 prints them. */
const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/** Check character by weighted sum mod 11. */
const checkChars = '10X98765432';
/** Nobody alive or on a register was born earlier; older dates are typing errors (1090 for 1990). */
const earliestBirthYear = 1890;
/**
 * Residence permits for Hong Kong, Macao and Taiwan residents (港澳台居民居住证, 2018) carry a
 * 公民身份号码 with these province-only address codes.
 */
const residencePermitRegions = new Set(['810000', '820000', '830000']);

/** The GB 11643 check character for the first 17 digits. */
export function residentIdCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new HubError('HUB_ERR_INTERNAL', 'a resident ID check character needs exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17.charAt(i)) * (weights[i] ?? 0);
  return checkChars.charAt(sum % 11);
}

/** Why `id` is not a plausible 18-character citizen identity number, or null. `now` fixes "today". */
export function residentIdProblem(id: string, now: number): string | null {
  if (/^\d{15}$/.test(id)) {
    return '15位旧身份证号码须升级为18位 (15-digit resident IDs must be upgraded to the 18-character GB 11643-1999 form)';
  }
  if (/^\d{17}x$/.test(id)) return '公民身份号码校验码须为大写X (the check character must be an upper-case X)';
  if (!/^\d{17}[\dX]$/.test(id)) {
    return `公民身份号码格式错误 (expected 17 digits and a check character 0-9 or X, got ${[...id].length} characters)`;
  }
  const check = residentIdCheckChar(id.slice(0, 17));
  if (id.charAt(17) !== check) return `公民身份号码校验码错误 (GB 11643 check digit should be ${check})`;

  const region = id.slice(0, 6);
  if (!isProvinceCode(region.slice(0, 2)) && !residencePermitRegions.has(region)) {
    return '公民身份号码地址码无效 (the first two digits are not a province-level code)';
  }
  if (region.slice(2) === '0000' && !residencePermitRegions.has(region)) {
    return '公民身份号码地址码无效 (the address code names a province, not a county)';
  }

  const year = Number(id.slice(6, 10));
  const birth = calendarDay(year, Number(id.slice(10, 12)), Number(id.slice(12, 14)));
  if (birth === null) return '公民身份号码出生日期码无效 (characters 7-14 are not a calendar date)';
  if (year < earliestBirthYear) return `公民身份号码出生日期码无效 (birth year before ${earliestBirthYear})`;
  if (birth > chinaToday(now)) return '公民身份号码出生日期码无效 (birth date in the future)';
  return null;
}

export const residentId: RuleCheck = (value, { now }) => (typeof value === 'string' ? residentIdProblem(value, now) : wrongType('a string', value));
