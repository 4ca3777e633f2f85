/**
 * Reference check-digit algorithms for the identifiers used in the schema samples. Test-only: the
 * cleansing service owns the production implementations of the "resident-id" and "uscc" rules.
 */

const residentIdWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const residentIdCheckChars = '10X98765432';

/** GB 11643-1999 (ISO 7064 MOD 11-2): the 18th character of a citizen identity number. */
export function residentIdCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error(`not 17 digits: ${first17}`);
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (residentIdWeights[i] ?? 0);
  return residentIdCheckChars.charAt(sum % 11);
}

export function isValidResidentId(id: string): boolean {
  return /^\d{17}[\dX]$/.test(id) && residentIdCheckChar(id.slice(0, 17)) === id.charAt(17);
}

/** GB 32100-2015 character set: digits and capitals without I, O, Z, S, V. */
const usccChars = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const usccWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** GB 11714-1997: the 9th character of the organization code (positions 9..17 of a USCC). */
export function orgCodeCheckChar(first8: string): string {
  if (!/^[0-9A-Z]{8}$/.test(first8)) throw new Error(`not an organization code body: ${first8}`);
  const weights = [3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const c = first8.charAt(i);
    const value = c >= '0' && c <= '9' ? Number(c) : c.charCodeAt(0) - 55; // A=10 .. Z=35
    sum += value * (weights[i] ?? 0);
  }
  const check = 11 - (sum % 11);
  return check === 10 ? 'X' : check === 11 ? '0' : String(check);
}

/** GB 32100-2015: the 18th character of a unified social credit code. */
export function usccCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = usccChars.indexOf(first17.charAt(i));
    if (value < 0) throw new Error(`invalid USCC character ${first17.charAt(i)} in ${first17}`);
    sum += value * (usccWeights[i] ?? 0);
  }
  return usccChars.charAt((31 - (sum % 31)) % 31);
}

export function isValidUscc(code: string): boolean {
  if (!/^[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}$/.test(code)) return false;
  return orgCodeCheckChar(code.slice(8, 16)) === code.charAt(16) && usccCheckChar(code.slice(0, 17)) === code.charAt(17);
}
