import { parseRule, type DatasetSchemaJson, type SchemaRuleName } from '../../contract/dataset-schema.ts';
import { codeListNamed } from './code-lists/index.ts';
import { fieldShape, type FieldShape } from './field-shape.ts';
import type { Finding, RuleCheck, Severity } from './finding.ts';
import { nullAwareRules, ruleChecks } from './registry.ts';
import { ruleSeverity } from './severity.ts';
import { HubError } from '../../platform/errors.ts';

export interface CompiledRule {
  readonly field: string;
  /** As the schema writes it: `max-length:50`. */
  readonly rule: string;
  readonly name: SchemaRuleName;
  readonly param: string | null;
  readonly shape: FieldShape;
  readonly severity: Severity;
  readonly check: RuleCheck;
}

export interface CheckOptions {
  /** Epoch milliseconds that "today" means for date rules; defaults to the clock. */
  readonly now?: number;
}

const compiled = new WeakMap<DatasetSchemaJson, readonly CompiledRule[]>();

function fail(schema: DatasetSchemaJson, field: string, what: string): never {
  throw new HubError('HUB_ERR_CONFIG', `${schema.dataset}: field "${field}": ${what}`);
}

/**
 * Every rule of every field, checked once per schema object (cached). Throws on what
 * validateSchemaConvention refuses too, and on a code list the hub does not have: both are
 * programming errors, not bad records.
 */
export function compileRules(schema: DatasetSchemaJson): readonly CompiledRule[] {
  const cached = compiled.get(schema);
  if (cached !== undefined) return cached;
  const names = new Set(schema.fields.map((f) => f.name));
  const rules: CompiledRule[] = [];
  for (const field of schema.fields) {
    const shape = fieldShape(schema, field);
    for (const rule of field.rules ?? []) {
      const parsed = parseRule(rule);
      if (parsed === null) fail(schema, field.name, `unknown rule "${rule}"`);
      const { name, param } = parsed;
      switch (name) {
        case 'max-length':
          if (param === null || !/^[1-9]\d*$/.test(param)) fail(schema, field.name, `"${rule}" needs a positive length`);
          break;
        case 'not-before':
          if (param === null || !names.has(param)) fail(schema, field.name, `"${rule}" names no field of the record`);
          break;
        case 'code-list':
          codeListNamed(param ?? '');
          break;
        default:
          if (param !== null) fail(schema, field.name, `rule "${name}" takes no parameter`);
      }
      rules.push({ field: field.name, rule, name, param, shape, severity: ruleSeverity[name], check: ruleChecks[name] });
    }
  }
  compiled.set(schema, rules);
  return rules;
}

/**
 * Runs every rule each field's schema names (the `rules` attribute) on an already-normalized
 * record. Null is "absent": only `required` and (on a non-optional field) `not-blank` object to it.
 * At most one finding per rule and field.
 */
export function checkRecord(schema: DatasetSchemaJson, value: Readonly<Record<string, unknown>>, options: CheckOptions = {}): Finding[] {
  const now = options.now ?? Date.now();
  const findings: Finding[] = [];
  for (const rule of compileRules(schema)) {
    const v = value[rule.field];
    if ((v === null || v === undefined) && (!nullAwareRules.has(rule.name) || (rule.name === 'not-blank' && rule.shape.optional))) continue;
    const message = rule.check(v, { field: rule.field, shape: rule.shape, param: rule.param, record: value, now });
    if (message !== null) findings.push({ field: rule.field, rule: rule.rule, severity: rule.severity, message, value: v === undefined ? null : v });
  }
  return findings;
}
