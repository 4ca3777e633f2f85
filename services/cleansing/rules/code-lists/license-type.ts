import { usccProblem } from '../uscc.ts';

/**
 * 证照类型代码 of the national e-license catalog (全国一体化政务服务平台电子证照目录): the unified
 * social credit code of the department that defines the license type, then a 3-digit sequence
 * (11100000000013338W009). The national catalog is open-ended and maintained elsewhere, so the hub
 * checks the structure and the defining department's code (e.g. 11100000000013338W009, 食品经营许可证).
 */
export function isLicenseTypeCode(code: string): boolean {
  return /^[0-9A-Z]{18}\d{3}$/.test(code) && code.slice(18) !== '000' && usccProblem(code.slice(0, 18)) === null;
}
