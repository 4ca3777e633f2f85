import { residentId } from '../../ops/bench/people.ts';

export { person } from '../../ops/bench/people.ts';

/** The same id with a wrong check digit. */
export function badResidentId(n: number): string {
  const id = residentId(n);
  return id.slice(0, 17) + (id.endsWith('0') ? '1' : '0');
}
