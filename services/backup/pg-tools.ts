import { execFile } from 'node:child_process';
import { HubError } from '../platform/errors.ts';

/** pg_dump/pg_restore's connection: the URL without its password, which goes in PGPASSWORD (never on a command line). */
function connection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { dbname: u.toString(), env: { PATH: '/usr/bin:/bin', ...(password ? { PGPASSWORD: password } : {}) } };
}

export function runPgTool(tool: 'pg_dump' | 'pg_restore', url: string, args: readonly string[]): Promise<void> {
  const { dbname, env } = connection(url);
  return new Promise((resolve, reject) => {
    execFile(tool, [`--dbname=${dbname}`, ...args], { env, maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const missing = (err as { code?: unknown }).code === 'ENOENT';
      reject(
        new HubError(
          'HUB_ERR_STARTUP',
          missing
            ? `${tool} not found: install the PostgreSQL client (Debian: postgresql-client) matching the server's version`
            : `${tool} failed: ${stderr.trim().split('\n').slice(-3).join(' ') || err.message}`,
          { cause: err },
        ),
      );
    });
  });
}
