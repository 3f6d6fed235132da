import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenRequest } from '../../testing/smart-client.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { ASSERTION_TYPE } from './backend.ts';

let server: TestServer;
const keys: Record<'RS384' | 'ES384', CryptoKey> = {} as Record<'RS384' | 'ES384', CryptoKey>;
let clientId = '';

beforeAll(async () => {
  server = await startTestServer();
  const jwks = [];
  for (const alg of ['RS384', 'ES384'] as const) {
    const pair = await generateKeyPair(alg, { extractable: true });
    keys[alg] = pair.privateKey;
    jwks.push({ ...(await exportJWK(pair.publicKey)), alg, kid: alg });
  }
  const res = await server.call('admin', 'POST', '/admin/smart-apps', {
    name: 'Payer warehouse',
    scope: 'system/*.rs',
    jwks: { keys: jwks },
    serviceUser: 'system-user',
  });
  clientId = ((await res.json()) as { app: { id: string } }).app.id;
});
afterAll(async () => server?.stop());

async function assertion(
  alg: 'RS384' | 'ES384',
  claims: { aud?: string; jti?: string } = {},
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg, kid: alg, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(claims.aud ?? `${server.url}/oauth2/token`)
    .setJti(claims.jti ?? randomUUID())
    .setExpirationTime('4m')
    .sign(keys[alg]);
}

const backendToken = async (jwt: string, scope = 'system/*.rs') =>
  tokenRequest(server.url, {
    grant_type: 'client_credentials',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: jwt,
    scope,
  });

describe('SMART backend services (client_credentials + private_key_jwt)', () => {
  it('grants system/*.rs for an RS384 or ES384 assertion: reads allowed, writes refused', async () => {
    for (const alg of ['RS384', 'ES384'] as const) {
      const res = await backendToken(await assertion(alg), 'system/*.rs system/*.cruds');
      const token = (await res.json()) as { access_token: string; scope: string };
      expect(res.status, alg).toBe(200);
      // Only what was registered is granted.
      expect(token.scope).toBe('system/*.rs');
      const auth = { authorization: `Bearer ${token.access_token}` };
      expect((await fetch(`${server.url}/fhir/R4/Patient`, { headers: auth })).status).toBe(200);
      const write = await fetch(`${server.url}/fhir/R4/Patient`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/fhir+json' },
        body: JSON.stringify({ resourceType: 'Patient' }),
      });
      expect(write.status).toBe(403);
    }
  });

  it('lets a bulk client kick off $export with system/*.rs', async () => {
    const kickOff = async (scope: string): Promise<number> => {
      const token = (await (await backendToken(await assertion('ES384'), scope)).json()) as {
        access_token: string;
      };
      const res = await fetch(`${server.url}/fhir/R4/$export?_type=Patient`, {
        headers: {
          authorization: `Bearer ${token.access_token}`,
          prefer: 'respond-async',
          accept: 'application/fhir+json',
        },
      });
      return res.status;
    };
    expect(await kickOff('system/*.rs')).toBe(202);
  });

  it('refuses a replayed jti, another audience, a foreign key and a user-level scope', async () => {
    const jwt = await assertion('ES384', { jti: 'once-only' });
    expect((await backendToken(jwt)).status).toBe(200);
    expect((await backendToken(jwt)).status).toBe(401);
    expect((await backendToken(await assertion('RS384', { aud: 'https://elsewhere/token' }))).status).toBe(
      401,
    );
    const stranger = (await generateKeyPair('ES384')).privateKey;
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES384', kid: 'ES384' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(`${server.url}/oauth2/token`)
      .setJti(randomUUID())
      .setExpirationTime('4m')
      .sign(stranger);
    expect((await backendToken(forged)).status).toBe(401);
    expect((await backendToken(await assertion('RS384'), 'user/*.rs')).status).toBe(400);
  });
});
