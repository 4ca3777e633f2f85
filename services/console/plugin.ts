import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';

/** No CDN, no inline script; ECharts sets inline styles. */
export const consoleCsp =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

const root = fileURLToPath(new URL('./public/', import.meta.url));
const require = createRequire(import.meta.url);
const echartsFile = require.resolve('echarts/dist/echarts.min.js');

/** The stewardship console: static files under /console/ (no data; the page calls the API with the user's token). */
export const consolePlugin = fp(
  async (app) => {
    await app.register(async (scope) => {
      scope.addHook('onRequest', async (_request, reply) => {
        reply.header('content-security-policy', consoleCsp);
        reply.header('x-content-type-options', 'nosniff');
        reply.header('referrer-policy', 'no-referrer');
      });
      scope.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'));
      scope.get('/console/vendor/echarts.min.js', { schema: { hide: true } }, async (_request, reply) =>
        reply.type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(createReadStream(echartsFile)),
      );
      await scope.register(fastifyStatic, { root, prefix: '/console/', decorateReply: false, schemaHide: true });
    });
  },
  { name: 'hub-console' },
);
