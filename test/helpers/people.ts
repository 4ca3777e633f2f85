import { residentIdCheckChar } from '../schemas/check-digits.ts';
import { samplesV1 } from '../schemas/samples.ts';

/** A valid 18-digit resident id for person n (蜀山区, born 1980-01-01 + n days). */
export function residentId(n: number): string {
  const birth = new Date(Date.UTC(1980, 0, 1) + (n % 10_000) * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
  const first17 = `340104${birth}${String(n % 1000).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}

/** A natural_person record (the schema sample) for person n, with overrides. */
export function person(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base = samplesV1['base.natural_person'] as Record<string, unknown>;
  const id = residentId(n);
  const birthDays = Date.UTC(Number(id.slice(6, 10)), Number(id.slice(10, 12)) - 1, Number(id.slice(12, 14))) / 86_400_000;
  return { ...base, id_number: id, birth_date: birthDays, name: `居民${n}`, ...overrides };
}

/** The same id with a wrong check digit. */
export function badResidentId(n: number): string {
  const id = residentId(n);
  const last = id.slice(-1);
  return id.slice(0, 17) + (last === '0' ? '1' : '0');
}
