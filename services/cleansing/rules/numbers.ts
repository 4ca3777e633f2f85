import { wrongType, type RuleCheck } from './finding.ts';

/** -1, 0 or 1; null when the value is not a number. Avro decimals arrive as big-endian two's complement bytes. */
export function signOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isNaN(value) ? null : Math.sign(value) || 0;
  if (typeof value === 'bigint') return value > 0n ? 1 : value < 0n ? -1 : 0;
  if (value instanceof Uint8Array) {
    if (value.length === 0) return 0;
    if (((value[0] ?? 0) & 0x80) !== 0) return -1;
    return value.some((b) => b !== 0) ? 1 : 0;
  }
  return null;
}

export const positive: RuleCheck = (value) => {
  const sign = signOf(value);
  if (sign === null) return wrongType('a number', value);
  return sign > 0 ? null : '须大于0 (must be > 0)';
};

export const nonNegative: RuleCheck = (value) => {
  const sign = signOf(value);
  if (sign === null) return wrongType('a number', value);
  return sign >= 0 ? null : '不能为负数 (must be >= 0)';
};

/** China's extent in CGCS2000 degrees, generous enough for every island and border county. */
export const chinaExtent = {
  longitude: { min: 73, max: 136 },
  latitude: { min: 3, max: 54 },
} as const;

export const longitude: RuleCheck = (value) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) return wrongType('a finite number', value);
  const { min, max } = chinaExtent.longitude;
  return value >= min && value <= max ? null : `经度超出我国范围 (longitude must be within ${min}..${max} degrees east, CGCS2000)`;
};

export const latitude: RuleCheck = (value) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) return wrongType('a finite number', value);
  const { min, max } = chinaExtent.latitude;
  return value >= min && value <= max ? null : `纬度超出我国范围 (latitude must be within ${min}..${max} degrees north, CGCS2000)`;
};
