import { wrongType, type RuleCheck } from './finding.ts';
import { residentIdProblem } from './resident-id.ts';
import { usccProblem } from './uscc.ts';

/** Digits only (or digits and a final X): what a person's number looks like, so its problem is the one to report. */
const personShaped = /^(?:\d{15}|\d{17}[\dXx])$/;

/** Why `code` is neither a valid resident ID nor a valid USCC, or null. */
export function partyIdProblem(code: string, now: number): string | null {
  const asPerson = residentIdProblem(code, now);
  if (asPerson === null) return null;
  const asOrganisation = usccProblem(code);
  if (asOrganisation === null) return null;
  return `主体代码无效 (neither a valid resident ID nor a valid USCC): ${personShaped.test(code) ? asPerson : asOrganisation}`;
}

export const partyId: RuleCheck = (value, { now }) => (typeof value === 'string' ? partyIdProblem(value, now) : wrongType('a string', value));
