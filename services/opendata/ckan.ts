import type { PortalDataset } from './service.ts';

/** CKAN's package name rules (lower case, digits, - and _): the dataset id with its dot as "--". */
export const packageName = (dataset: string) => dataset.replace('.', '--');
export const datasetOfPackage = (name: string) => (name.includes('--') ? name.replace('--', '.') : name);

const cycleTitles: Record<string, string> = {
  realtime: '实时',
  hourly: '每小时',
  daily: '每日',
  weekly: '每周',
  monthly: '每月',
  quarterly: '每季度',
  yearly: '每年',
};

export interface Links {
  download(dataset: string, format: 'csv' | 'ndjson'): string;
  page(dataset: string): string;
  catalog: string;
}

/** A dataset in CKAN's package shape (package_show / package_search), as harvesters read it. */
export function toPackage(d: PortalDataset, links: Links): Record<string, unknown> {
  const modified = d.snapshot?.publishedAt ?? d.approvedAt;
  const resources =
    d.snapshot === null
      ? []
      : (['csv', 'ndjson'] as const).map((format) => ({
          id: `${packageName(d.dataset)}-${format}`,
          package_id: packageName(d.dataset),
          name: `${d.title}（${format.toUpperCase()}）`,
          format: format === 'csv' ? 'CSV' : 'NDJSON',
          mimetype: format === 'csv' ? 'text/csv' : 'application/x-ndjson',
          url: links.download(d.dataset, format),
          last_modified: d.snapshot?.publishedAt ?? null,
          description: `${d.snapshot?.rows ?? 0} 行，已脱敏`,
        }));
  return {
    id: packageName(d.dataset),
    name: packageName(d.dataset),
    title: d.title,
    notes: d.description,
    url: links.page(d.dataset),
    license_id: d.licence,
    license_title: d.licence,
    private: false,
    state: 'active',
    type: 'dataset',
    metadata_created: d.approvedAt,
    metadata_modified: modified,
    organization: { name: d.owner, title: d.owner },
    tags: [{ name: d.dataset.split('.')[0] ?? d.dataset }],
    extras: [
      { key: 'dataset', value: d.dataset },
      { key: 'open_type', value: d.openType },
      { key: 'update_cycle', value: cycleTitles[d.updateCycle] ?? d.updateCycle },
      { key: 'last_published', value: d.snapshot?.publishedAt ?? '' },
      { key: 'fields', value: d.fields.map((f) => `${f.name}（${f.doc}）${f.desensitized ? '[脱敏]' : ''}`).join('; ') },
    ],
    num_resources: resources.length,
    num_tags: 1,
    resources,
  };
}

/** DCAT-AP style JSON-LD with its context inline (a harvester needs no network to read it). */
export function toDcat(datasets: readonly PortalDataset[], links: Links): Record<string, unknown> {
  return {
    '@context': {
      dcat: 'http://www.w3.org/ns/dcat#',
      dct: 'http://purl.org/dc/terms/',
      foaf: 'http://xmlns.com/foaf/0.1/',
      xsd: 'http://www.w3.org/2001/XMLSchema#',
      'dct:issued': { '@type': 'xsd:dateTime' },
      'dct:modified': { '@type': 'xsd:dateTime' },
      'dcat:downloadURL': { '@type': '@id' },
      'dcat:landingPage': { '@type': '@id' },
    },
    '@id': links.catalog,
    '@type': 'dcat:Catalog',
    'dct:title': { '@value': '政务数据开放目录', '@language': 'zh' },
    'dcat:dataset': datasets.map((d) => ({
      '@id': links.page(d.dataset),
      '@type': 'dcat:Dataset',
      'dct:identifier': d.dataset,
      'dct:title': { '@value': d.title, '@language': 'zh' },
      'dct:description': { '@value': d.description, '@language': 'zh' },
      'dct:license': d.licence,
      'dct:issued': d.approvedAt,
      'dct:modified': d.snapshot?.publishedAt ?? d.approvedAt,
      'dct:accrualPeriodicity': d.updateCycle,
      'dct:publisher': { '@type': 'foaf:Organization', 'foaf:name': d.owner },
      'dcat:keyword': d.dataset.split('.')[0],
      'dcat:landingPage': links.page(d.dataset),
      'dcat:distribution': (d.snapshot === null ? [] : (['csv', 'ndjson'] as const)).map((format) => ({
        '@type': 'dcat:Distribution',
        'dct:format': format === 'csv' ? 'CSV' : 'NDJSON',
        'dcat:mediaType': format === 'csv' ? 'text/csv' : 'application/x-ndjson',
        'dcat:downloadURL': links.download(d.dataset, format),
      })),
    })),
  };
}
