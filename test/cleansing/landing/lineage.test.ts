import { describe, expect, it } from 'vitest';
import { packLineage, unpackLineage } from '../../../services/cleansing/landing/lineage.ts';
import type { FieldLineage } from '../../../services/cleansing/landing/rows.ts';

const psb: FieldLineage = {
  provider: 'psb',
  topic: 'raw.psb.base.natural_person',
  partition: 1,
  offset: '41',
  recordId: 'r1',
  eventTime: '2024-05-10T01:30:00.000Z',
  authoritative: true,
  provisional: false,
};
const civil: FieldLineage = {
  provider: 'civil',
  topic: 'raw.civil.base.natural_person',
  partition: 0,
  offset: '7',
  recordId: null,
  eventTime: null,
  authoritative: false,
  provisional: true,
};
const order = ['id_number', 'name', 'marital_status', 'updated_at'];

describe('stored lineage', () => {
  it('stores one entry per source with its fields, and unpacks to the per-field form', () => {
    const lineage = { updated_at: { ...psb }, marital_status: civil, name: psb, id_number: psb };
    const packed = packLineage(lineage, order);
    expect(packed).toEqual([
      { ...psb, fields: ['id_number', 'name', 'updated_at'] },
      { ...civil, fields: ['marital_status'] },
    ]);
    expect(unpackLineage<FieldLineage>(packed)).toEqual(lineage);
  });

  it('is canonical: equal lineage packs to the same JSON whatever the key and field order', () => {
    const reordered = Object.fromEntries(Object.entries(psb).reverse());
    const a = packLineage({ name: psb, id_number: { ...psb }, updated_at: civil }, order);
    const b = packLineage({ updated_at: { ...civil }, id_number: reordered, name: reordered }, order);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('keeps fields the table does not know, after the known ones, by name', () => {
    const packed = packLineage({ zeta: civil, alpha: civil, name: civil }, order);
    expect(packed).toEqual([{ ...civil, fields: ['name', 'alpha', 'zeta'] }]);
  });
});
