import type { BenchEnvironment } from './environment.ts';

/** POSTs JSON to the bench hub's API as a principal; any non-2xx answer fails the bench. */
export async function post<T = unknown>(env: BenchEnvironment, path: string, token: string, body: unknown): Promise<T> {
  const res = await fetch(`${env.url}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}
