import { ROLES, type Role } from '../shared/index.ts';
import { createUser, hashPassword } from '../auth/users.ts';
import { startServer, type RunningServer } from '../app/runtime.ts';
import { loadConfig, type Config } from '../app/config.ts';
import type { Db } from '../db/index.ts';
import { openTestDb } from './test-db.ts';

export const TEST_PASSWORD = 'correct-horse-battery-9';

export interface TestServer extends RunningServer {
  /** A bearer token for a user of that role (users are created once per server). */
  token(role: Role, purpose?: string): Promise<string>;
  /** fetch against the server with a role's token; JSON bodies are sent as application/fhir+json. */
  call(
    role: Role | null,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
}

/** TEST_PASSWORD hashed once per test process: argon2 costs about half a second of CPU a hash. */
let testPasswordHash: Promise<string> | undefined;

/** A real server on a random loopback port over a fresh database (PGlite, or the CI PostgreSQL). */
export async function startTestServer(
  options: { db?: Db; web?: boolean; config?: Partial<Config> } = {},
): Promise<TestServer> {
  const db = options.db ?? (await openTestDb());
  const config = {
    ...loadConfig({}),
    port: 0,
    host: '127.0.0.1',
    adminUser: 'admin',
    adminPassword: TEST_PASSWORD,
    ...options.config,
  };
  // One user per role (the administrator as `admin`), all with TEST_PASSWORD, made before the
  // server starts so that it finds its administrator.
  testPasswordHash ??= hashPassword(TEST_PASSWORD);
  const hash = await testPasswordHash;
  await db.transaction(async (tx) => {
    for (const role of ROLES) {
      const username = role === 'admin' ? config.adminUser : `${role}-user`;
      await createUser(tx, { username, password: TEST_PASSWORD, role }, hash);
    }
  });
  const server = await startServer(config, { db, web: options.web ?? false, log: () => undefined });
  const tokens = new Map<string, string>();
  const token = async (role: Role, purpose?: string): Promise<string> => {
    const key = `${role}:${purpose ?? ''}`;
    const cached = tokens.get(key);
    if (cached) return cached;
    const form = new URLSearchParams({
      grant_type: 'password',
      username: role === 'admin' ? 'admin' : `${role}-user`,
      password: TEST_PASSWORD,
    });
    if (purpose) form.set('purpose_of_use', purpose);
    const res = await fetch(`${server.url}/oauth2/token`, { method: 'POST', body: form });
    const json = (await res.json()) as { access_token?: string };
    if (!json.access_token) throw new Error(`login failed for ${role}: ${JSON.stringify(json)}`);
    tokens.set(key, json.access_token);
    return json.access_token;
  };
  const call = async (
    role: Role | null,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const h: Record<string, string> = { ...headers };
    if (role) h.authorization = `Bearer ${await token(role)}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/fhir+json';
    }
    return fetch(`${server.url}${path}`, {
      method,
      headers: h,
      ...(payload !== undefined ? { body: payload } : {}),
    });
  };
  return {
    ...server,
    token,
    call,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
