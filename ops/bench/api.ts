import type { BenchEnvironment } from './environment.ts';

/** POSTs JSON to the bench hub's API as a principal; any non-2xx answer fails the bench. */
export async function post<T = unknown>(env: BenchEnvironment, path: string, token: string, body: unknown): Promise<T> {
  const res = await fetch(`${env.url}/api/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** Declares a dataset for a bench department; when another bench already provides it, the authority enrols this one. */
export async function declareProvider<T extends { id: string; status: string }>(
  env: BenchEnvironment,
  { authorityToken, deptToken, body }: { authorityToken: string; deptToken: string; body: Record<string, unknown> },
): Promise<T> {
  const entry = await post<T>(env, '/catalog', deptToken, body);
  return entry.status === 'pending' ? post<T>(env, `/catalog/${entry.id}/enrolment`, authorityToken, { decision: 'approve', authorities: {} }) : entry;
}
