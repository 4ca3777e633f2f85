import type { SchemaRuleName } from '../../contract/dataset-schema.ts';
import { codeList } from './code-list.ts';
import { datePast, notBefore } from './dates.ts';
import type { RuleCheck } from './finding.ts';
import { latitude, longitude, nonNegative, positive } from './numbers.ts';
import { partyId } from './party-id.ts';
import { phoneCn } from './phone.ts';
import { reUnitCode } from './re-unit-code.ts';
import { regionCode } from './regions.ts';
import { residentId } from './resident-id.ts';
import { maxLength, notBlank, required } from './text.ts';
import { uscc } from './uscc.ts';

/** The check behind every rule name of the vocabulary (services/platform/schema-files.ts `schemaRules`). */
export const ruleChecks: Readonly<Record<SchemaRuleName, RuleCheck>> = {
  required,
  'not-blank': notBlank,
  'max-length': maxLength,
  'resident-id': residentId,
  uscc,
  'party-id': partyId,
  'phone-cn': phoneCn,
  'region-code': regionCode,
  're-unit-code': reUnitCode,
  'code-list': codeList,
  'date-past': datePast,
  'not-before': notBefore,
  positive,
  'non-negative': nonNegative,
  longitude,
  latitude,
};

/** Rules that look at null: the others skip an absent (null) value. */
export const nullAwareRules: ReadonlySet<SchemaRuleName> = new Set<SchemaRuleName>(['required', 'not-blank']);
