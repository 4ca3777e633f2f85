import type { DatasetSchema } from '../contract/dataset-schema.ts';
import type { CurrentRow } from './landing/rows.ts';

const fieldSource = {
  type: 'record',
  name: 'FieldSource',
  doc: '信息项来源',
  fields: [
    { name: 'provider', type: 'string' },
    { name: 'topic', type: 'string' },
    { name: 'partition', type: 'int' },
    { name: 'offset', type: 'string' },
    { name: 'record_id', type: ['null', 'string'], default: null },
    { name: 'event_time', type: ['null', 'string'], default: null },
    { name: 'authoritative', type: 'boolean' },
    { name: 'provisional', type: 'boolean' },
  ],
};

/**
 * The clean record: every dataset field (optional, since a merged entity may still lack one), plus
 * the lineage of each field, which fields are provisional, and when and how often it changed.
 * A dataset field added later is added here as optional too, so the subject stays compatible.
 */
export function cleanSchemaOf(dataset: DatasetSchema): string {
  const json = dataset.json;
  return JSON.stringify({
    type: 'record',
    name: `${json.name}Clean`,
    namespace: json.namespace.replace(/\.(base|theme)$/, '.clean.$1'),
    doc: `${json.doc}（清洗合并后）`,
    dataset: dataset.dataset,
    businessKey: json.businessKey,
    fields: [
      ...json.fields.map((f) => {
        const type = Array.isArray(f.type) ? f.type : ['null', f.type];
        return { name: f.name, type, default: null, doc: f.doc, grade: f.grade };
      }),
      { name: '_lineage', type: { type: 'map', values: fieldSource }, doc: '每个信息项的来源' },
      { name: '_provisional', type: { type: 'array', items: 'string' }, doc: '尚无权威来源值的信息项' },
      { name: '_version', type: 'long', doc: '合并版本' },
      { name: '_updated_at', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: '最后更新时间' },
    ],
  });
}

export function toCleanValue(
  row: Pick<CurrentRow, 'values' | 'lineage' | 'provisional'>,
  fields: readonly string[],
  version: number,
  updatedAt: number,
): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const f of fields) value[f] = row.values[f] ?? null;
  value._lineage = Object.fromEntries(
    Object.entries(row.lineage).map(([f, l]) => [
      f,
      {
        provider: l.provider,
        topic: l.topic,
        partition: l.partition,
        offset: l.offset,
        record_id: l.recordId,
        event_time: l.eventTime,
        authoritative: l.authoritative,
        provisional: l.provisional,
      },
    ]),
  );
  value._provisional = row.provisional;
  value._version = version;
  value._updated_at = updatedAt;
  return value;
}
