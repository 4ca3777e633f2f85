import { fileURLToPath } from 'node:url';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';

/** No CDN, no inline script, no third-party anything: the public portal reads only the hub's /open API. */
export const portalCsp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

const root = fileURLToPath(new URL('./public/', import.meta.url));

/** The open-data portal's page at /open/ (Chinese, no sign-in); its data comes from the /open API. */
export const openPortalRoutes = fp(
  async (app) => {
    await app.register(async (scope) => {
      scope.addHook('onRequest', async (_request, reply) => {
        reply.header('content-security-policy', portalCsp);
        reply.header('x-content-type-options', 'nosniff');
        reply.header('referrer-policy', 'no-referrer');
      });
      scope.get('/open', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/open/'));
      await scope.register(fastifyStatic, { root, prefix: '/open/', decorateReply: false, schemaHide: true, index: ['index.html'] });
    });
  },
  { name: 'hub-open-portal' },
);
