import { describe, expect, it } from 'vitest';
import { fieldTypeOf, fieldTypesOf } from '../../services/contract/field-kind.ts';
import { fieldShape } from '../../services/cleansing/rules/field-shape.ts';
import { schemaOf } from '../cleansing/rules/helpers.ts';

describe('field kinds, decided in one place', () => {
  it('classifies primitives, logical types, nullable unions and named types', () => {
    expect(fieldTypeOf('string')).toEqual({ kind: 'string', nullable: false, symbols: [] });
    expect(fieldTypeOf(['null', 'long'])).toEqual({ kind: 'long', nullable: true, symbols: [] });
    expect(fieldTypeOf({ type: 'int', logicalType: 'date' }).kind).toBe('date');
    expect(fieldTypeOf({ type: 'long', logicalType: 'timestamp-millis' }).kind).toBe('timestamp-millis');
    expect(fieldTypeOf({ type: 'long', logicalType: 'local-timestamp-millis' }).kind).toBe('timestamp-millis');
    expect(fieldTypeOf({ type: 'long', logicalType: 'timestamp-micros' }).kind).toBe('timestamp-micros');
    expect(fieldTypeOf({ type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 }).kind).toBe('decimal');
    expect(fieldTypeOf({ type: 'string', logicalType: 'uuid' }).kind).toBe('string');
    expect(fieldTypeOf(['null', 'string', 'long']).kind).toBe('other');
    expect(fieldTypeOf({ type: 'array', items: 'string' }).kind).toBe('other');
  });

  it('resolves an enum defined by one field and referred to by name in another', () => {
    const schema = schemaOf([
      { name: 'gender', type: { type: 'enum', name: 'Gender', symbols: ['MALE', 'FEMALE'], default: 'MALE' } },
      { name: 'spouse_gender', type: ['null', 'gov.hub.theme.Gender'] },
    ]);
    const types = fieldTypesOf(schema);
    expect(types.get('spouse_gender')).toEqual({ kind: 'enum', nullable: true, symbols: ['MALE', 'FEMALE'] });
    // Computed once per schema object.
    expect(fieldTypesOf(schema)).toBe(types);
    // Rules read the same answer.
    expect(fieldShape(schema, schema.fields[1]!)).toEqual({ kind: 'enum', optional: true });
  });
});
