/**
 * The hub's layers, lowest first: a folder may import only folders of lower layers, never one of
 * its own layer or above, and no module cycle anywhere. Following a record from HTTP ingest to a
 * share topic goes up these layers once: ingest, cleansing, sharing. `npm test` runs it (npm run deps).
 */
const layers = [
  ['platform'],
  ['contract'],
  ['principals'],
  ['audit'],
  ['registry'],
  ['catalog'],
  ['ingest'],
  ['cleansing'],
  ['sharing'],
  ['stewardship', 'opendata', 'console'],
  ['hub'],
  ['backup'],
  ['cli'],
];
const layerOf = new Map(layers.flatMap((names, i) => names.map((n) => [n, i])));

const forbidden = [
  { name: 'no-circular', severity: 'error', comment: 'module cycles', from: {}, to: { circular: true } },
  {
    name: 'connectors-below-services',
    severity: 'error',
    comment: 'connectors use only the technical platform and the contract',
    from: { path: '^connectors/' },
    to: { path: '^services/(?!platform/|contract/)' },
  },
  {
    name: 'console-static-only',
    severity: 'error',
    comment: 'the console serves static files; it reaches data only through the API, as its user',
    from: { path: '^services/console/' },
    to: { path: '^services/(?!platform/|console/)' },
  },
  {
    name: 'services-not-on-tooling',
    severity: 'error',
    comment: 'the hub does not import its tests, benches or ops scripts',
    from: { path: '^(services|connectors)/' },
    to: { path: '^(test|ops)/' },
  },
];
for (const [from, i] of layerOf) {
  const above = [...layerOf].filter(([to, j]) => to !== from && j >= i).map(([to]) => to);
  if (from !== 'cli') above.push('connectors');
  forbidden.push({
    name: `layer-${from}`,
    severity: 'error',
    comment: `${from} (layer ${i}) may import only lower layers`,
    from: { path: `^services/${from}/` },
    to: { path: `^(services/(${above.filter((a) => a !== 'connectors').join('|')})/${above.includes('connectors') ? '|connectors/' : ''})` },
  });
}

module.exports = {
  forbidden,
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.hub|\\.hub-test)/' },
  },
};
