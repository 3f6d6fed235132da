import { sendMllp, type ServerEndpoint } from './crash-writes.ts';

/**
 * Hostile and malformed requests for the memory soak (issue #23 item 4): what the server must
 * refuse without keeping anything. The same kinds the security tests in src/app send (deep JSON,
 * invalid bundles, huge strings, bad logins, search strings that make no sense, garbage over
 * MLLP), each made unique so that nothing keyed by URL, body or user name can hide a leak.
 */

let serial = 0;

/** JSON text of `depth` nested arrays around a string. */
const nestedArrays = (depth: number): string => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;

type Hostile = (server: ServerEndpoint, n: number) => Promise<number>;

async function send(
  server: ServerEndpoint,
  method: string,
  path: string,
  body?: string,
  opts: { auth?: boolean; type?: string } = {},
): Promise<number> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(opts.auth === false ? {} : { authorization: `Bearer ${server.token}` }),
      'content-type': opts.type ?? 'application/fhir+json',
    },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

const HOSTILE: Hostile[] = [
  // Deeper than the JSON depth limit.
  (s) =>
    send(
      s,
      'POST',
      '/fhir/R4/Patient',
      `{"resourceType":"Patient","name":[{"given":${nestedArrays(20_000)}}]}`,
    ),
  // A megabyte string where a code belongs.
  (s, n) =>
    send(
      s,
      'POST',
      '/fhir/R4/Patient',
      JSON.stringify({ resourceType: 'Patient', gender: `x${n}`.repeat(200_000) }),
    ),
  // A transaction whose last entry is invalid: all or nothing.
  (s, n) =>
    send(
      s,
      'POST',
      '/fhir/R4',
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          ...Array.from({ length: 30 }, (_, i) => ({
            resource: { resourceType: 'Patient', name: [{ family: `Hostile${n}x${i}` }] },
            request: { method: 'POST', url: 'Patient' },
          })),
          {
            resource: { resourceType: 'Patient', birthDate: 'not a date' },
            request: { method: 'POST', url: 'Patient' },
          },
        ],
      }),
    ),
  // A bundle whose entry is not a list; a resource type that does not exist.
  (s) => send(s, 'POST', '/fhir/R4', '{"resourceType":"Bundle","type":"transaction","entry":{}}'),
  (s, n) => send(s, 'POST', `/fhir/R4/NoSuchType${n}`, '{"resourceType":"NoSuchType"}'),
  // Bad logins, each for another user name.
  (s, n) =>
    send(
      s,
      'POST',
      '/oauth2/token',
      new URLSearchParams({ grant_type: 'password', username: `nobody${n}`, password: 'wrong' }).toString(),
      {
        auth: false,
        type: 'application/x-www-form-urlencoded',
      },
    ),
  // A token that is not one.
  (s, n) =>
    fetch(`${s.url}/fhir/R4/Patient?_count=1`, { headers: { authorization: `Bearer forged-${n}` } }).then(
      async (r) => (await r.arrayBuffer(), r.status),
    ),
  // Search strings that make no sense, each different.
  (s, n) => send(s, 'GET', `/fhir/R4/Patient?name:nonsense${n}=x&_sort=bogus${n}&birthdate=gt${n}x`),
  (s, n) =>
    send(s, 'GET', `/fhir/R4/Observation?code=${encodeURIComponent(`|${'a'.repeat(5000)}${n}`)}&_count=10`),
  (s, n) => send(s, 'GET', `/fhir/R4/Patient/${'z'.repeat(70)}${n}`),
  // Not JSON at all, and JSON of the wrong shape.
  (s, n) => send(s, 'POST', '/fhir/R4/Patient', `{"resourceType":"Patient",${n}`),
  (s) => send(s, 'PUT', '/fhir/R4/Patient/x', '[1,2,3]'),
  // Garbage and an invalid message over MLLP.
  async (s, n) => {
    if (!s.mllpPort) return 0;
    await sendMllp(s.mllpPort, `MSH|^~\\&|X|Y|||2026||ADT^A01|${n}|P|2.5\rPID|1||`, 300_000);
    await sendMllp(s.mllpPort, `not hl7 at all ${n}`, 300_000);
    return 200;
  },
];

/** Status counts of `count` hostile requests, `clients` at a time; a 5xx is a finding. */
export async function sendHostileInput(
  server: ServerEndpoint,
  count: number,
  clients = 4,
): Promise<{ sent: number; serverErrors: number }> {
  let sent = 0;
  let serverErrors = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (sent < count) {
        const n = ++serial;
        sent++;
        const status = await (HOSTILE[n % HOSTILE.length] as Hostile)(server, n);
        if (status >= 500) serverErrors++;
      }
    }),
  );
  return { sent, serverErrors };
}
