import { wrongType, type RuleCheck } from './finding.ts';
import { regionCodeProblem } from './regions.ts';

/**
 * 不动产单元号, GB/T 37346-2019 (不动产单元设定与代码编制规则), 28 characters:
 *
 * | chars | part |
 * | --- | --- |
 * | 1-6 | county-level division code, GB/T 2260 |
 * | 7-9, 10-12 | cadastral zone (地籍区) and subzone (地籍子区), 3 digits each |
 * | 13 | owner of the land (宗地特征码 1): G state, J collective, Z undetermined or disputed |
 * | 14 | right on the parcel or sea area (宗地特征码 2), see `parcelRights` |
 * | 15-19 | parcel (宗地/宗海) sequence number 00001-99999 |
 * | 20 | fixture (定着物特征码): F building or structure, L forest or trees, Q other, W none |
 * | 21-28 | fixture unit number (定着物单元编号), 8 digits; 00000000 when there is no fixture (W) |
 *
 * Example: 340104 003 002 GB 00123 F 00030502 (building 0003, unit 0502 on state construction land).
 */
export const parcelOwners: Readonly<Record<string, string>> = { G: '国家土地所有权', J: '集体土地所有权', Z: '土地所有权未确定或有争议' };

export const parcelRights: Readonly<Record<string, string>> = {
  A: '集体土地所有权宗地',
  B: '建设用地使用权宗地（地表）',
  S: '建设用地使用权宗地（地上）',
  X: '建设用地使用权宗地（地下）',
  C: '宅基地使用权宗地',
  D: '土地承包经营权宗地（耕地）',
  E: '土地承包经营权宗地（林地）',
  F: '土地承包经营权宗地（草地）',
  H: '海域使用权宗海',
  G: '无居民海岛使用权',
  W: '使用权未确定或有争议的土地、海域',
  Y: '其他使用权宗地',
};

export const fixtureKinds: Readonly<Record<string, string>> = { F: '房屋等建筑物、构筑物', L: '森林、林木', Q: '其他定着物', W: '无定着物' };

/** Why `code` is not a well-formed real-estate unit number, or null. Format only: no register lookup. */
export function reUnitCodeProblem(code: string): string | null {
  const length = [...code].length;
  if (length !== 28) return `不动产单元号须为28位 (expected 28 characters, got ${length})`;
  const region = regionCodeProblem(code.slice(0, 6));
  if (region !== null) return `不动产单元号行政区划代码无效 (characters 1-6): ${region}`;
  if (!/^\d{6}$/.test(code.slice(6, 12))) return '不动产单元号地籍区、地籍子区代码须为6位数字 (characters 7-12: cadastral zone and subzone, 3 digits each)';
  if (!Object.hasOwn(parcelOwners, code.charAt(12))) return '不动产单元号宗地特征码无效 (character 13: G, J or Z)';
  if (!Object.hasOwn(parcelRights, code.charAt(13))) {
    return `不动产单元号宗地特征码无效 (character 14: one of ${Object.keys(parcelRights).join(', ')})`;
  }
  const sequence = code.slice(14, 19);
  if (!/^\d{5}$/.test(sequence) || sequence === '00000') return '不动产单元号宗地顺序号无效 (characters 15-19: 00001-99999)';
  const fixture = code.charAt(19);
  if (!Object.hasOwn(fixtureKinds, fixture)) return '不动产单元号定着物特征码无效 (character 20: F, L, Q or W)';
  const unit = code.slice(20);
  if (!/^\d{8}$/.test(unit)) return '不动产单元号定着物单元编号须为8位数字 (characters 21-28)';
  if (fixture === 'W' && unit !== '00000000') return '无定着物的不动产单元号须以W00000000结尾 (fixture W takes unit number 00000000)';
  return null;
}

export const reUnitCode: RuleCheck = (value) => (typeof value === 'string' ? reUnitCodeProblem(value) : wrongType('a string', value));
