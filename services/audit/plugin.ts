import fp from 'fastify-plugin';
import { authenticated } from '../principals/auth-plugin.ts';
import { type AuditLog, createAuditLog } from './log.ts';
import { auditRoutes } from './routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    audit: AuditLog;
  }
}

/** The append-only, hash-chained audit trail and its routes (auditors only). */
export const auditPlugin = fp<{ key?: string; headFile?: string }>(
  async (app, { key, headFile }) => {
    app.decorate('audit', createAuditLog({ pool: app.db, ...(key ? { key } : {}), ...(headFile ? { headFile } : {}) }));
    await app.register(authenticated(auditRoutes), { prefix: '/api/v1', audit: app.audit });
  },
  { name: 'hub-audit', dependencies: ['hub-db', 'hub-principals'] },
);
