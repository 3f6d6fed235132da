// Builds the web UI when web/dist is missing or older than its sources, so `npm start` needs no extra step.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const web = join(root, 'web');
const built = join(web, 'dist', 'index.html');

function newest(dir) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'dist' || name === 'node_modules') continue;
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

if (!existsSync(join(web, 'index.html'))) process.exit(0);
if (existsSync(built) && statSync(built).mtimeMs >= newest(web)) process.exit(0);
console.log('Building the web UI ...');
// A production bundle whatever NODE_ENV the caller runs under (vitest sets 'test').
process.env.NODE_ENV = 'production';
const { build } = await import('vite');
await build({ root: web, configFile: join(web, 'vite.config.ts'), logLevel: 'warn' });
