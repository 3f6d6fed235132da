import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { repoRoot } from './config.ts';

export const WEB_DIST = resolve(repoRoot, 'web', 'dist');

/** Serves the built React application; its data comes through the audited API only. */
export async function registerWebApp(app: FastifyInstance): Promise<void> {
  if (!existsSync(WEB_DIST)) return;
  // serve: false: @fastify/static's own '/*' route has no config, so the Bearer check refused the
  // scripts and styles (401). The hashed build files are served by an explicitly public route.
  await app.register(fastifyStatic, { root: WEB_DIST, prefix: '/', decorateReply: true, serve: false });
  app.get<{ Params: { '*': string } }>('/assets/*', { config: { public: true } }, (request, reply) =>
    reply.sendFile(`assets/${request.params['*']}`),
  );
  // Client-side routes (/app/...) all load index.html.
  app.get('/app/*', { config: { public: true } }, (_request, reply) => reply.sendFile('index.html'));
  app.get('/', { config: { public: true } }, (_request, reply) => reply.redirect('/app/'));
}
