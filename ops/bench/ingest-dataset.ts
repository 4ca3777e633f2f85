import { randomBytes } from 'node:crypto';
import type { BenchEnvironment } from './environment.ts';
import type { CatalogEntry } from '../../services/catalog/entry.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import { declareProvider, post } from './api.ts';

export interface BenchDataset {
  department: PrincipalCredentials;
  entry: CatalogEntry;
}

/** A department onboarded through the API by an authority, with theme.tax_credit_rating declared. */
export async function declareBenchDataset(env: BenchEnvironment, prefix: string): Promise<BenchDataset> {
  const suffix = randomBytes(3).toString('hex');
  const authority = await env.app.principals.create({ name: `${prefix}-authority-${suffix}`, role: 'authority' });
  const { credentials } = await post<{ credentials: PrincipalCredentials }>(env, '/departments', authority.token, {
    name: `${prefix}-${suffix}`,
    displayName: `基准测试部门 ${suffix}`,
  });
  // Each bench has its own department: the first declares the contract, the others are enrolled.
  const entry = await declareProvider<CatalogEntry>(env, {
    authorityToken: authority.token,
    deptToken: credentials.token,
    body: { dataset: 'theme.tax_credit_rating', updateCycle: 'yearly' },
  });
  return { department: credentials, entry };
}

export const ratingColumns =
  'taxpayer_id,taxpayer_name,rating_year,credit_level,score,downgrade_reason,evaluation_authority,authority_region_code,published_date,updated_at';

const levels = ['A', 'B', 'M', 'C', 'D'] as const;

/** The i-th tax credit rating, as a department would send it over HTTP or in NDJSON. */
export function ratingRecord(i: number): Record<string, unknown> {
  return {
    taxpayer_id: '91340100MA2N1B7K5P',
    taxpayer_name: `合肥市皖江数字科技有限公司第${i}分公司`,
    rating_year: 100_000 + i,
    credit_level: levels[i % levels.length],
    score: i % 101,
    downgrade_reason: null,
    evaluation_authority: '国家税务总局合肥市税务局',
    authority_region_code: '340100',
    published_date: '2024-04-12',
    updated_at: '2024-04-12T09:00:00+08:00',
  };
}

/** The same record as a CSV line (no line break). */
export function ratingCsvLine(i: number): string {
  return `91340100MA2N1B7K5P,合肥市皖江数字科技有限公司第${i}分公司,${100_000 + i},${levels[i % levels.length]},${i % 101},,国家税务总局合肥市税务局,340100,2024-04-12,2024-04-12T09:00:00+08:00`;
}
