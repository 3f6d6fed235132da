import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../testing/test-server.ts';

let server: TestServer;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodian-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  server = await startTestServer({ config: { tlsCert: cert, tlsKey: key, tokenTtlSeconds: 2 } });
});
afterAll(async () => server?.stop());

/** HTTPS against our self-signed test certificate. */
function get(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, headers, rejectUnauthorized: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const login = (username: string, password: string) =>
  get(
    '/oauth2/token',
    { 'content-type': 'application/x-www-form-urlencoded' },
    'POST',
    new URLSearchParams({ grant_type: 'password', username, password }).toString(),
  );

describe('transport and hardening', () => {
  it('serves HTTPS with security headers and no CORS by default', async () => {
    expect(server.url).toMatch(/^https:/);
    const res = await get('/fhir/R4/metadata', { origin: 'https://elsewhere.example' });
    expect(res.status).toBe(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("answers the FHIR API with OWASP's headers for API responses, and everything else with helmet's", async () => {
    const token = (JSON.parse((await login('admin', TEST_PASSWORD)).body) as { access_token: string })
      .access_token;
    const fhirAnswers = [
      await get('/fhir/R4/metadata'),
      await get('/fhir/R4/Patient?_count=1', { authorization: `Bearer ${token}` }),
      await get('/fhir/R4/Patient/nobody-here', { authorization: `Bearer ${token}` }),
      await get('/fhir/R4/Patient'),
    ];
    expect(fhirAnswers.map((r) => r.status)).toEqual([200, 200, 404, 401]);
    for (const res of fhirAnswers) {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'self'");
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
      // helmet's headers for pages are not sent with FHIR JSON.
      expect(res.headers['cross-origin-opener-policy']).toBeUndefined();
    }
    const other = await get('/auth/me', { authorization: `Bearer ${token}` });
    expect(other.status).toBe(200);
    expect(other.headers['content-security-policy']).toContain("script-src 'self'");
    expect(other.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(other.headers['x-content-type-options']).toBe('nosniff');
  });

  it('expires tokens', async () => {
    const res = await login('admin', TEST_PASSWORD);
    const token = (JSON.parse(res.body) as { access_token: string; expires_in: number }).access_token;
    expect((await get('/auth/me', { authorization: `Bearer ${token}` })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2500));
    expect((await get('/auth/me', { authorization: `Bearer ${token}` })).status).toBe(401);
  });

  it('rate-limits the token endpoint', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 35; i++) statuses.push((await login(`nobody${i}`, 'not-the-password')).status);
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThan(0);
  });
});
