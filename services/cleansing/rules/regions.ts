import { wrongType, type RuleCheck } from './finding.ts';

/**
 * Province-level codes of GB/T 2260 (the first two digits of every division code), with Taiwan 71
 * and the Hong Kong 81 / Macao 82 special administrative regions.
 */
export const provinceCodes: Readonly<Record<string, string>> = {
  '11': '北京市',
  '12': '天津市',
  '13': '河北省',
  '14': '山西省',
  '15': '内蒙古自治区',
  '21': '辽宁省',
  '22': '吉林省',
  '23': '黑龙江省',
  '31': '上海市',
  '32': '江苏省',
  '33': '浙江省',
  '34': '安徽省',
  '35': '福建省',
  '36': '江西省',
  '37': '山东省',
  '41': '河南省',
  '42': '湖北省',
  '43': '湖南省',
  '44': '广东省',
  '45': '广西壮族自治区',
  '46': '海南省',
  '50': '重庆市',
  '51': '四川省',
  '52': '贵州省',
  '53': '云南省',
  '54': '西藏自治区',
  '61': '陕西省',
  '62': '甘肃省',
  '63': '青海省',
  '64': '宁夏回族自治区',
  '65': '新疆维吾尔自治区',
  '71': '台湾省',
  '81': '香港特别行政区',
  '82': '澳门特别行政区',
};

export function isProvinceCode(code: string): boolean {
  return Object.hasOwn(provinceCodes, code);
}

/**
 * Why a 6-digit division code is not plausible, or null. Codes at any level pass (340000 province,
 * 340100 city, 340104 county); a county part under an empty city part (340004) does not exist.
 */
export function regionCodeProblem(code: string): string | null {
  if (!/^\d{6}$/.test(code)) return '行政区划代码须为6位数字 (a GB/T 2260 division code is 6 digits)';
  if (!isProvinceCode(code.slice(0, 2))) return `行政区划代码省级代码无效 (${code.slice(0, 2)} is not a province-level code)`;
  if (code.slice(2, 4) === '00' && code.slice(4) !== '00') return '行政区划代码层级无效 (a county part needs a city part: digits 3-4 are 00)';
  return null;
}

export const regionCode: RuleCheck = (value) => (typeof value === 'string' ? regionCodeProblem(value) : wrongType('a string', value));
