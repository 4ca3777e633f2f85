import type { SchemaRuleName } from '../../contract/dataset-schema.ts';
import type { Severity } from './finding.ts';

/**
 * What a broken rule does to a record by default. 'error': the record is quarantined, because it
 * names the wrong person, organisation or parcel, lacks a contract field, or carries an impossible
 * date (a future `updated_at` would also win every later version). 'warning': the record lands and
 * a data steward gets a quality alert. The table is repeated in README.md.
 */
export const ruleSeverity: Readonly<Record<SchemaRuleName, Severity>> = {
  required: 'error',
  'not-blank': 'error',
  'resident-id': 'error',
  uscc: 'error',
  'party-id': 'error',
  're-unit-code': 'error',
  'date-past': 'error',
  'not-before': 'error',
  'max-length': 'warning',
  'phone-cn': 'warning',
  'region-code': 'warning',
  'code-list': 'warning',
  positive: 'warning',
  'non-negative': 'warning',
  longitude: 'warning',
  latitude: 'warning',
};
