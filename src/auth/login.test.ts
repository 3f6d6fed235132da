import { request } from 'node:http';
import type { Bundle } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../testing/test-server.ts';
import { MAX_FAILED_LOGINS } from './tokens.ts';

/**
 * Sign-in refusals tell nothing about the account, and the account state they guard holds under
 * concurrent requests (run on PGlite and, in CI, on a PostgreSQL server, where requests really
 * run side by side).
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.stop());

interface TokenAnswer {
  status: number;
  body: { access_token?: string; error?: string; error_description?: string };
  ms: number;
}

/**
 * POST /oauth2/token from a loopback address of our choosing: the endpoint is rate limited per
 * address, and each test here plays a different client.
 */
function postToken(from: string, username: string, password: string): Promise<TokenAnswer> {
  const body = new URLSearchParams({ grant_type: 'password', username, password }).toString();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/oauth2/token`,
      {
        method: 'POST',
        localAddress: from,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(text) as TokenAnswer['body'],
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function addUser(username: string): Promise<void> {
  const res = await server.call('admin', 'POST', '/admin/users', {
    username,
    password: TEST_PASSWORD,
    role: 'coder',
  });
  expect(res.status).toBe(201);
}

const disable = (username: string) =>
  server.call(
    'admin',
    'POST',
    `/admin/users/${username}/disable`,
    {},
    { 'content-type': 'application/json' },
  );

async function lockOut(from: string, username: string): Promise<void> {
  for (let i = 0; i < MAX_FAILED_LOGINS; i++)
    expect((await postToken(from, username, 'wrong-password-1')).status).toBe(401);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

describe('a refused sign-in', () => {
  it('answers the same for an unknown user, a wrong password, a disabled or a locked account', async () => {
    await addUser('alike-known');
    await addUser('alike-disabled');
    await addUser('alike-locked');
    expect((await disable('alike-disabled')).status).toBe(200);
    await lockOut('127.0.0.2', 'alike-locked');

    const answers = new Map<string, TokenAnswer>();
    for (const [label, username, password] of [
      ['unknown user', 'alike-nobody', 'wrong-password-1'],
      ['wrong password', 'alike-known', 'wrong-password-1'],
      ['disabled, wrong password', 'alike-disabled', 'wrong-password-1'],
      ['disabled, right password', 'alike-disabled', TEST_PASSWORD],
      ['locked, wrong password', 'alike-locked', 'wrong-password-1'],
      ['locked, right password', 'alike-locked', TEST_PASSWORD],
    ] as const)
      answers.set(label, await postToken('127.0.0.3', username, password));
    const first = answers.get('unknown user');
    expect(first?.status).toBe(401);
    for (const [label, answer] of answers)
      expect({ status: answer.status, body: answer.body }, label).toEqual({
        status: first?.status,
        body: first?.body,
      });
    // The lockout still holds for the right password, and the words still say what may be wrong.
    expect(first?.body.error_description).toMatch(/Wrong user name or password.*locked.*disabled/);
  });

  it('spends a password check on every refusal, so timing does not tell them apart', async () => {
    await addUser('timing-known');
    await addUser('timing-disabled');
    await addUser('timing-locked');
    expect((await disable('timing-disabled')).status).toBe(200);
    await lockOut('127.0.0.4', 'timing-locked');
    const times: Record<string, number[]> = { wrong: [], unknown: [], disabled: [], locked: [] };
    const users: Record<string, string> = {
      wrong: 'timing-known',
      unknown: 'timing-nobody',
      disabled: 'timing-disabled',
      locked: 'timing-locked',
    };
    for (let round = 0; round < 5; round++)
      for (const [kind, username] of Object.entries(users))
        times[kind]?.push((await postToken('127.0.0.5', username, 'wrong-password-1')).ms);
    const wrong = median(times.wrong ?? []);
    for (const kind of ['unknown', 'disabled', 'locked'])
      // A refusal without a password check takes a few milliseconds; with one, about as long as a
      // wrong password. A quarter leaves room for a busy machine.
      expect(median(times[kind] ?? []), `${kind} vs wrong password (${wrong.toFixed(0)} ms)`).toBeGreaterThan(
        wrong / 4,
      );
  });
});

describe('the lockout under concurrent attempts', () => {
  it(`locks after exactly ${MAX_FAILED_LOGINS} of 20 parallel wrong passwords, then refuses the right one`, async () => {
    await addUser('racer');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => postToken('127.0.0.6', 'racer', 'wrong-password-1')),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(401));
    expect((await postToken('127.0.0.6', 'racer', TEST_PASSWORD)).status).toBe(401);

    // The audit trail says why each was refused: MAX - 1 counted failures, the one that locked,
    // and the rest refused as locked without being counted.
    const res = await server.call('auditor', 'GET', '/fhir/R4/AuditEvent?agent-name=racer&_count=100');
    const details = ((await res.json()) as Bundle).entry?.map(
      (e) => (e.resource as { outcomeDesc?: string }).outcomeDesc,
    );
    const count = (d: string) => details?.filter((x) => x === d).length;
    expect(count('login refused: invalid')).toBe(MAX_FAILED_LOGINS - 1);
    expect(count('login refused: locked')).toBe(21 - (MAX_FAILED_LOGINS - 1));
  });
});

describe('a token', () => {
  /** Keeps `token` busy with requests until stop() resolves, every request waited for. */
  function busy(token: string): { stop(): Promise<void> } {
    let running = true;
    const worker = async (): Promise<void> => {
      while (running)
        await fetch(`${server.url}/auth/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) =>
          r.arrayBuffer(),
        );
    };
    const workers = Array.from({ length: 8 }, worker);
    return {
      async stop() {
        running = false;
        await Promise.all(workers);
      },
    };
  }

  const me = async (token: string): Promise<number> =>
    (await fetch(`${server.url}/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;

  it('stops working once its user is disabled, even with its requests in flight', async () => {
    for (let round = 0; round < 5; round++) {
      const username = `leaver-${round}`;
      await addUser(username);
      const token = (await postToken('127.0.0.7', username, TEST_PASSWORD)).body.access_token ?? '';
      expect(await me(token)).toBe(200);
      const load = busy(token);
      expect((await disable(username)).status).toBe(200);
      await load.stop();
      expect(await me(token), `round ${round}`).toBe(401);
    }
  });

  it('stops working once it is logged out, even with its requests in flight', async () => {
    await addUser('logout-racer');
    for (let round = 0; round < 5; round++) {
      const token = (await postToken('127.0.0.8', 'logout-racer', TEST_PASSWORD)).body.access_token ?? '';
      const load = busy(token);
      const out = await fetch(`${server.url}/oauth2/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(out.status).toBe(200);
      await load.stop();
      expect(await me(token), `round ${round}`).toBe(401);
    }
  });
});
