import { residentIdCheckChar } from '../../services/cleansing/rules/index.ts';

const dayMs = 86_400_000;

/** A valid 18-digit resident id, distinct for every n below 10,000,000 (蜀山区, born 1980-2007). */
export function residentId(n: number): string {
  // The sequence digits vary fastest, so masked ids (first 6 + last 4 kept) tell small n apart.
  const birth = new Date(Date.UTC(1980, 0, 1) + (Math.floor(n / 1000) % 10_000) * dayMs).toISOString().slice(0, 10).replaceAll('-', '');
  const first17 = `340104${birth}${String(n % 1000).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}

/** A base.natural_person record for person n that passes every rule of the schema. */
export function person(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const id = residentId(n);
  return {
    id_number: id,
    name: `居民${n}`,
    gender: n % 2 === 0 ? 'FEMALE' : 'MALE',
    ethnicity_code: '01',
    birth_date: Date.UTC(Number(id.slice(6, 10)), Number(id.slice(10, 12)) - 1, Number(id.slice(12, 14))) / dayMs,
    household_region_code: '340104',
    household_address: '安徽省合肥市蜀山区长江西路189号3栋502室',
    residence_address: '安徽省合肥市包河区徽州大道1688号',
    phone: '13905512345',
    marital_status: 'MARRIED',
    education_code: '21',
    registration_status: 'NORMAL',
    death_date: null,
    updated_at: Date.UTC(2024, 4, 10, 1, 30),
    ...overrides,
  };
}
