import { wrongType, type RuleCheck } from './finding.ts';
import { isProvinceCode } from './regions.ts';
import { HubError } from '../../platform/errors.ts';

/** GB 32100-2015 character set: digits and capitals without I, O, S, V, Z; a character's value is its index. */
export const usccAlphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** 3^(i-1) mod 31. */
const usccWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/** GB 11714-1997 weights for the 8-character organization code body. */
const orgCodeWeights = [3, 7, 9, 10, 5, 8, 4, 2];
/** Positions 3-8 of codes issued by central authorities. */
const nationalRegion = '100000';

/**
 * GB 32100-2015 Appendix A: registration authority (1st character) and the organisation types it
 * registers (2nd character).
 */
export const registrationAuthorities: Readonly<Record<string, { readonly name: string; readonly types: Readonly<Record<string, string>> }>> = {
  '1': { name: '机构编制', types: { '1': '机关', '2': '事业单位', '3': '中央编办直接管理机构编制的群众团体', '9': '其他' } },
  '2': { name: '外交', types: { '1': '外国常驻新闻机构', '9': '其他' } },
  '3': {
    name: '司法行政',
    types: { '1': '律师执业机构', '2': '公证处', '3': '基层法律服务所', '4': '司法鉴定机构', '5': '仲裁委员会', '9': '其他' },
  },
  '4': { name: '文化', types: { '1': '外国在华文化中心', '9': '其他' } },
  '5': { name: '民政', types: { '1': '社会团体', '2': '民办非企业单位', '3': '基金会', '9': '其他' } },
  '6': { name: '旅游', types: { '1': '外国旅游部门常驻代表机构', '2': '港澳台地区旅游部门常驻内地（大陆）代表机构', '9': '其他' } },
  '7': { name: '宗教', types: { '1': '宗教活动场所', '2': '宗教院校', '9': '其他' } },
  '8': { name: '工会', types: { '1': '基层工会', '9': '其他' } },
  '9': { name: '工商', types: { '1': '企业', '2': '个体工商户', '3': '农民专业合作社' } },
  A: { name: '中央军委改革和编制办公室', types: { '1': '军队事业单位', '9': '其他' } },
  N: { name: '农业', types: { '1': '组级集体经济组织', '2': '村级集体经济组织', '3': '乡镇级集体经济组织', '9': '其他' } },
  Y: { name: '其他', types: { '1': '其他' } },
};

function charValue(c: string): number {
  return usccAlphabet.indexOf(c);
}

/** The GB 32100 (MOD 31) check character for the first 17 characters. */
export function usccCheckChar(first17: string): string {
  if (first17.length !== 17) throw new HubError('HUB_ERR_INTERNAL', 'a USCC check character needs exactly 17 characters');
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = charValue(first17.charAt(i));
    if (v < 0) throw new HubError('HUB_ERR_INTERNAL', `"${first17.charAt(i)}" is not in the USCC character set`);
    sum += v * (usccWeights[i] ?? 0);
  }
  return usccAlphabet.charAt((31 - (sum % 31)) % 31);
}

/** The GB 11714 (MOD 11) check character of an organization code body (A=10 ... Z=35). */
export function orgCodeCheckChar(first8: string): string {
  if (!/^[0-9A-Z]{8}$/.test(first8)) throw new HubError('HUB_ERR_INTERNAL', 'an organization code check character needs 8 digits or capitals');
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number.parseInt(first8.charAt(i), 36) * (orgCodeWeights[i] ?? 0);
  const check = 11 - (sum % 11);
  return check === 10 ? 'X' : check === 11 ? '0' : String(check);
}

/** Why `code` is not a valid unified social credit code, or null. */
export function usccProblem(code: string): string | null {
  const length = [...code].length;
  if (length !== 18) return `统一社会信用代码须为18位 (expected 18 characters, got ${length})`;
  const excluded = [...new Set([...code].filter((c) => 'IOSVZ'.includes(c)))];
  if (excluded.length > 0) {
    return `统一社会信用代码含非法字符 ${excluded.join('、')} (GB 32100 excludes the letters I, O, S, V, Z)`;
  }
  if (/[a-z]/.test(code)) return '统一社会信用代码字母须大写 (letters must be upper-case)';
  if (![...code].every((c) => charValue(c) >= 0)) return '统一社会信用代码含非法字符 (only digits and capital letters are allowed)';

  const check = usccCheckChar(code.slice(0, 17));
  if (code.charAt(17) !== check) return `统一社会信用代码校验码错误 (GB 32100 check character should be ${check})`;

  const authority = registrationAuthorities[code.charAt(0)];
  if (authority === undefined) return '统一社会信用代码登记管理部门代码无效 (the 1st character is not a GB 32100 registration authority)';
  if (!Object.hasOwn(authority.types, code.charAt(1))) {
    return `统一社会信用代码机构类别代码无效 (the 2nd character is not an organisation type registered by ${authority.name})`;
  }

  const region = code.slice(2, 8);
  if (!/^\d{6}$/.test(region) || (region !== nationalRegion && !isProvinceCode(region.slice(0, 2)))) {
    return '统一社会信用代码登记管理机关行政区划码无效 (characters 3-8 are not a division code under a province-level code)';
  }

  const orgCheck = orgCodeCheckChar(code.slice(8, 16));
  if (code.charAt(16) !== orgCheck) {
    return `统一社会信用代码主体标识码校验码错误 (GB 11714 check character, the 17th, should be ${orgCheck})`;
  }
  return null;
}

export const uscc: RuleCheck = (value) => (typeof value === 'string' ? usccProblem(value) : wrongType('a string', value));
