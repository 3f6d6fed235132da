import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { repoRoot } from './config.ts';

export const WEB_DIST = resolve(repoRoot, 'web', 'dist');

/** Serves the built React application; its data comes through the audited API only. */
export async function registerWebApp(app: FastifyInstance): Promise<void> {
  if (!existsSync(WEB_DIST)) return;
  await app.register(fastifyStatic, { root: WEB_DIST, prefix: '/', decorateReply: true });
  // Client-side routes (/app/...) all load index.html.
  app.get('/app/*', { config: { public: true } }, (_request, reply) => reply.sendFile('index.html'));
  app.get('/', { config: { public: true } }, (_request, reply) => reply.redirect('/app/'));
}
