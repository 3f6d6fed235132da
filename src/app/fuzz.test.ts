import http from 'node:http';
import net from 'node:net';
import type { Bundle } from '@medplum/fhirtypes';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdtIntake } from './adt-intake.ts';
import { loadConfig } from './config.ts';
import { startServer, type RunningServer } from './runtime.ts';
import { createUser } from '../auth/users.ts';
import { cliContext } from '../cli/context.ts';
import type { Db } from '../db/index.ts';
import { FhirStore } from '../fhir/store.ts';
import { MllpFramer, mllpFrame, type MllpListener } from '../hl7v2/index.ts';
import { openTestDb } from '../testing/test-db.ts';
import { TEST_PASSWORD } from '../testing/test-server.ts';

/**
 * Issue #21, "proving the class is closed": hostile and malformed input (FHIR JSON bodies,
 * bundles, search strings, HL7 v2 messages over MLLP, token requests) never gets a 5xx, never
 * stops the server or the MLLP listener, and a refused request writes nothing: the store's
 * records are counted (as the system, through the store) before and after every request.
 * Generators start from valid input and break a little of it, so most requests get past the
 * first check. The bugs they found are pinned by their own tests, after the bundle fuzzer.
 *
 * Fixed seeds keep CI reproducible; fast-check prints the seed and path of a failure.
 */

const SEED = 0x21f2;
const RUNS = { resource: 60, bundle: 60, search: 120, hl7: 50, junk: 10, token: 30 } as const;

let server: RunningServer;
let db: Db;
let listener: MllpListener;
/** The technician's bearer token: every FHIR request here is the technician's. */
let token = '';

beforeAll(async () => {
  db = await openTestDb();
  server = await startServer(
    { ...loadConfig({}), port: 0, host: '127.0.0.1', adminUser: 'admin', adminPassword: TEST_PASSWORD },
    { db, web: false, log: () => undefined },
  );
  await db.transaction(async (tx) => {
    await createUser(tx, { username: 'technician', password: TEST_PASSWORD, role: 'him-technician' });
    await createUser(tx, { username: 'fuzz-login', password: TEST_PASSWORD, role: 'coder' });
  });
  token = await login('technician');
  listener = await startAdtIntake(db, { mllpHost: '127.0.0.1', mllpPort: 0 });
});
afterAll(async () => {
  await listener?.close();
  await server?.stop();
  await db?.close();
});

async function login(username: string): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'password', username, password: TEST_PASSWORD });
  const res = await fetch(`${server.url}/oauth2/token`, { method: 'POST', body: form });
  const token = ((await res.json()) as { access_token?: string }).access_token;
  if (!token) throw new Error(`login failed for ${username}`);
  return token;
}

interface Answer {
  status: number;
  text: string;
}

async function call(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  return { status: res.status, text: await res.text() };
}

const postJson = (path: string, body: string): Promise<Answer> =>
  call('POST', path, body, { 'content-type': 'application/fhir+json' });

const COUNTED = ['Patient', 'Observation', 'Encounter', 'Practitioner'] as const;
type Counts = Record<(typeof COUNTED)[number], number>;

/** Live records per type, asked of the store as the system (which sees every label). */
async function counts(): Promise<Counts> {
  const store = new FhirStore(db, cliContext());
  const n = await Promise.all(COUNTED.map((type) => store.count({ type })));
  return Object.fromEntries(COUNTED.map((type, i) => [type, n[i] ?? 0])) as Counts;
}

const noChange = (): Counts => Object.fromEntries(COUNTED.map((t) => [t, 0])) as Counts;
const difference = (before: Counts, after: Counts): Counts =>
  Object.fromEntries(COUNTED.map((t) => [t, after[t] - before[t]])) as Counts;

const short = (text: string): string => (text.length > 600 ? `${text.slice(0, 600)}...` : text);

// ---------------------------------------------------------------------------------------------
// Text and JSON generators.
// ---------------------------------------------------------------------------------------------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const NASTY = [
  '',
  ' ',
  '\u0000',
  '\\',
  '"',
  "'",
  '%',
  '%00',
  '%ZZ',
  '%E0%A4%A',
  '|',
  '$',
  ',',
  '^~\\&',
  '\r\n',
  '\u202e',
  '\ufeff',
  '😀',
  '𝕏',
  'a'.repeat(3000),
  '<div xmlns="http://www.w3.org/1999/xhtml">x</div>',
  '<script>',
  '${x}',
  'NaN',
  '1e400',
  '-0',
  'null',
  '__proto__',
  'constructor',
  '../..',
  "Robert'); DROP TABLE app_user;--",
];
const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 4 }), loneSurrogate).map(([a, b]) => a + b) },
);
const json = fc.jsonValue({ maxDepth: 3 });
const weird: fc.Arbitrary<unknown> = fc.oneof(
  text,
  json,
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant({}),
  fc.constant([]),
);
/** Mostly the right kind of value for the field, sometimes anything. */
const mostly = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: weird });

/** Text a FHIR string may hold, odd but valid: scripts, markup, quotes, very long. */
const ODD_BUT_VALID = [
  '😀 𝕏',
  '\u202eevil',
  "O'Brien",
  'Zoë',
  '山田',
  '<script>alert(1)</script>',
  "Robert'); DROP TABLE app_user;--",
  '%00',
  '%ZZ',
  '\\',
  '"quoted"',
  '${x}',
  '__proto__',
  'a'.repeat(3000),
  '|^~\\&',
];
const goodText: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 15, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }) },
    { weight: 5, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }) },
    { weight: 10, arbitrary: fc.constantFrom(...ODD_BUT_VALID) },
    // Valid to the validator, not to PostgreSQL's jsonb: an unpaired surrogate (it was a 500).
    {
      weight: 1,
      arbitrary: fc.tuple(fc.string({ maxLength: 3 }), loneSurrogate).map(([a, b]) => `x${a}${b}`),
    },
  )
  .filter((t) => t.trim() === t && t !== '');

/** Business identifiers from a small pool, so conditional creates and references sometimes match. */
const MRNS = ['F-1', 'F-2', 'F-3'];
const fuzzIdentifier = fc.constantFrom(...MRNS).map((value) => ({ system: 'urn:fuzz', value }));

/** Bundle-internal names two entries may share. */
const URN_A = 'urn:uuid:6f1c5e2a-0000-4000-8000-00000000000a';
const URN_B = 'urn:uuid:6f1c5e2a-0000-4000-8000-00000000000b';

const reference: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      URN_A,
      URN_B,
      'Patient/fuzz-1',
      'Patient?identifier=urn:fuzz|F-1',
      'Patient?identifier=urn:fuzz|F-2&_count=1',
      'Patient?_has:Observation:subject:value-string=x',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'urn:uuid:unknown',
      'Patient/',
      'Patient?',
      'Patient?family=',
      'Practitioner?name=x&_count=0',
      'Patient?_summary=count',
      'Foo?bar=1',
      'http://example.org/fhir/Patient/1',
      '#contained',
    ),
  },
  { weight: 1, arbitrary: text.map((t) => `Patient?family=${t}`) },
);

const LABEL_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const validPatient = fc.record(
  {
    resourceType: fc.constant('Patient'),
    meta: fc.record({
      security: fc.array(
        fc.constantFrom('R', 'N').map((code) => ({ system: LABEL_SYSTEM, code })),
        { minLength: 1, maxLength: 1 },
      ),
    }),
    identifier: fc.array(
      fc.oneof(
        fuzzIdentifier,
        goodText.map((value) => ({ system: 'urn:fuzz', value })),
      ),
      { minLength: 1, maxLength: 2 },
    ),
    name: fc.array(
      fc.record({ family: goodText, given: fc.array(goodText, { minLength: 1, maxLength: 2 }) }),
      { minLength: 1, maxLength: 2 },
    ),
    birthDate: fc.constantFrom('1961-04-03', '1961', '1961-04', '2000-02-29'),
    gender: fc.constantFrom('female', 'male', 'other', 'unknown'),
    generalPractitioner: fc.array(
      fc.record({
        reference: fc.constantFrom('Practitioner/fuzz-1', 'Practitioner?identifier=urn:fuzz|F-1'),
      }),
      { minLength: 1, maxLength: 1 },
    ),
    extension: fc.array(fc.record({ url: fc.constant('http://example.org/fuzz'), valueString: goodText }), {
      minLength: 1,
      maxLength: 2,
    }),
  },
  { requiredKeys: ['resourceType', 'name'] },
);

const validObservation = fc.record({
  resourceType: fc.constant('Observation'),
  status: fc.constantFrom('final', 'preliminary'),
  code: fc.record({ text: goodText }),
  subject: fc.record({ reference }),
  valueString: goodText,
});

/**
 * One change that may make a valid resource invalid: a top-level element (or a field of its first
 * item, when it is a list of objects) set to any value, or removed.
 */
const mutation = fc.record({
  key: fc.oneof(
    fc.constantFrom(
      'resourceType',
      'id',
      'meta',
      'identifier',
      'name',
      'birthDate',
      'gender',
      'active',
      'subject',
      'status',
      'code',
      'valueString',
      'valueQuantity',
      'extension',
      'text',
      'contained',
      'deceasedBoolean',
      'multipleBirthInteger',
    ),
    text,
  ),
  value: fc.oneof({ weight: 5, arbitrary: weird }, { weight: 1, arbitrary: fc.constant(undefined) }),
  deep: fc.boolean(),
  inner: fc.nat(),
});
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(resource: Record<string, unknown>, mutations: readonly Mutation[]): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(resource);
  for (const m of mutations) {
    const list = out[m.key];
    const first: unknown = Array.isArray(list) ? list[0] : undefined;
    const target = m.deep && first && typeof first === 'object' ? (first as Record<string, unknown>) : out;
    const keys = Object.keys(target);
    const key = target === out ? m.key : (keys[m.inner % Math.max(keys.length, 1)] ?? m.key);
    if (m.value === undefined) delete target[key];
    else target[key] = m.value;
  }
  return out;
}

/** A valid resource, or the same with one or two changes: `unchanged` to 1 left as they are. */
const mutated = (
  valid: fc.Arbitrary<Record<string, unknown>>,
  unchanged: number,
): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .tuple(
      valid,
      fc.oneof(
        { weight: unchanged, arbitrary: fc.constant<Mutation[]>([]) },
        { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 2 }) },
      ),
    )
    .map(([r, ms]) => mutate(r, ms));

/** Resources posted alone: half of them changed. */
const patientish = mutated(validPatient, 1);
/** Resources in bundles, where one bad entry fails a whole transaction: one in five changed. */
const entryPatient = mutated(validPatient, 4);
const entryObservation = mutated(validObservation, 4);

/** JSON `depth` arrays deep, as text (past the limit of 100 it must be a 400, not a stack overflow). */
const nested = (depth: number): string =>
  `{"resourceType":"Patient","name":[{"given":${'['.repeat(depth)}"x"${']'.repeat(depth)}}]}`;

/** Bodies as sent: mostly JSON of a patient-like object, also truncated, non-JSON and odd JSON. */
const resourceBody: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: patientish.map((p) => JSON.stringify(p)) },
  { weight: 1, arbitrary: json.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: text },
  { weight: 1, arbitrary: fc.tuple(patientish, fc.nat()).map(([p, cut]) => JSON.stringify(p).slice(0, cut)) },
  { weight: 1, arbitrary: fc.integer({ min: 95, max: 105 }).map(nested) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"resourceType":"Patient","multipleBirthInteger":1e400}',
      '{"resourceType":"Patient","birthDate":"1961-04-03","birthDate":{"x":1}}',
      '{"resourceType":"Patient","name":[{"family":"\\ud800"}]}',
      '{"resourceType":"Patient","\\udc00":1}',
      '\ufeff{"resourceType":"Patient"}',
      '{"resourceType":"Patient","__proto__":{"resourceType":"Observation"}}',
      '[{"resourceType":"Patient"}]',
      '"Patient"',
      'null',
    ),
  },
);
const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/fhir+json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/json',
      'application/json; charset=latin1',
      'application/fhir+json;charset=utf-16',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
      '',
    ),
  },
);

// ---------------------------------------------------------------------------------------------
// FHIR REST.
// ---------------------------------------------------------------------------------------------

describe('FHIR JSON bodies', () => {
  it('an unpaired surrogate in a string or a property name is a 400, not a 500 from the database', async () => {
    // JSON.parse takes "\ud800"; PostgreSQL's jsonb refuses it ("Unicode low surrogate must
    // follow a high surrogate"), which answered 500 until json-shape.ts refused it at the edge.
    const before = await counts();
    for (const body of [
      '{"resourceType":"Patient","name":[{"family":"x\\ud800"}]}',
      '{"resourceType":"Patient","name":[{"family":"\\udc00x"}]}',
      '{"resourceType":"Patient","name":[{"family":"x","\\udc00":1}]}',
      '{"resourceType":"Patient","extension":[{"url":"http://example.org/\\ud83d","valueString":"x"}]}',
      '{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","name":[{"family":"\\ud800"}]}}]}',
    ]) {
      const res = await postJson(body.includes('Bundle') ? '/fhir/R4' : '/fhir/R4/Patient', body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.text).toContain('unpaired surrogate');
    }
    // A surrogate pair (an emoji) is text like any other.
    const emoji = '{"resourceType":"Patient","name":[{"family":"\\ud83d\\ude00"}]}';
    expect((await postJson('/fhir/R4/Patient', emoji)).status).toBe(201);
    expect(difference(before, await counts())).toEqual({ ...noChange(), Patient: 1 });
  });

  it('never answer 5xx, and write one Patient on 201 and nothing otherwise', async () => {
    await fc.assert(
      fc.asyncProperty(resourceBody, contentType, async (body, type) => {
        const before = await counts();
        const res = await call('POST', '/fhir/R4/Patient', body, type ? { 'content-type': type } : {});
        const label = `POST /fhir/R4/Patient (${type}) ${short(body)} -> ${res.status} ${short(res.text)}`;
        expect(res.status, label).toBeLessThan(500);
        expect(difference(before, await counts()), label).toEqual({
          ...noChange(),
          Patient: res.status === 201 ? 1 : 0,
        });
      }),
      { numRuns: RUNS.resource, seed: SEED, endOnFailure: true },
    );
  });
});

/** A request of a bundle entry, valid as far as a request goes. */
const validRequest = fc.oneof(
  fc.constant({ method: 'POST', url: 'Patient' }),
  fuzzIdentifier.map((i) => ({
    method: 'POST',
    url: 'Patient',
    ifNoneExist: `identifier=${i.system}|${i.value}`,
  })),
  fc.constantFrom('fuzz-1', 'fuzz-2', 'fuzz-3').map((id) => ({ method: 'PUT', url: `Patient/${id}` })),
  fc
    .constantFrom('Patient/fuzz-1', 'Patient?identifier=urn:fuzz|F-1', 'Observation?subject=Patient/fuzz-1')
    .map((url) => ({ method: 'GET', url })),
  fc.constant({ method: 'DELETE', url: 'Patient/fuzz-1' }),
);

/** What a request may be mutated into. */
const oddRequest = fc.record(
  {
    method: mostly(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'get')),
    url: fc.oneof(
      fc.constantFrom(
        'Practitioner',
        'Observation/fuzz-1',
        'Patient?_count=0',
        'Patient?family=a&_summary=count',
        'http://evil.example/Patient',
        '/Patient',
        '',
        'Patient/',
        'Patient//x',
        '../Patient',
        'Patient/x/_history/1',
        'Foo',
        'AuditEvent',
        'metadata',
      ),
      text.map((t) => `Patient/${t}`),
      text.map((t) => `Patient?${t}`),
    ),
    ifNoneExist: fc.oneof(fc.constantFrom('_id=fuzz-1', 'family=', '_count=5', '_summary=count'), text),
    ifMatch: mostly(fc.constantFrom('W/"1"', '"2"', '1')),
  },
  { requiredKeys: ['method', 'url'] },
);

/** An entry: a request with the resource it needs (Patient, or Observation naming one), sometimes broken. */
const bundleEntry: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .tuple(validRequest, entryPatient, entryObservation, fc.constantFrom(URN_A, URN_B, undefined))
      .map(([request, patient, observation, fullUrl]) => {
        const observing = request.method === 'POST' && request.url === 'Patient' && fullUrl === URN_B;
        const resource =
          request.method === 'PUT'
            ? { ...patient, id: request.url.split('/')[1] }
            : observing
              ? observation
              : patient;
        return {
          ...(fullUrl ? { fullUrl } : {}),
          ...(request.method === 'POST' || request.method === 'PUT' ? { resource } : {}),
          request: observing ? { method: 'POST', url: 'Observation' } : request,
        };
      }),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      { resource: fc.oneof(patientish, weird), request: mostly(oddRequest) },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: weird },
);

const bundleBody: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .record({
        resourceType: fc.oneof(
          { weight: 20, arbitrary: fc.constant('Bundle') },
          { weight: 1, arbitrary: weird },
        ),
        type: fc.oneof(
          { weight: 20, arbitrary: fc.constantFrom('batch', 'transaction') },
          { weight: 1, arbitrary: fc.oneof(fc.constantFrom('searchset', 'history'), weird) },
        ),
        entry: fc.oneof(
          { weight: 20, arbitrary: fc.array(bundleEntry, { minLength: 1, maxLength: 4 }) },
          { weight: 1, arbitrary: weird },
        ),
      })
      .map((b) => JSON.stringify(b)),
  },
  { weight: 1, arbitrary: resourceBody },
);

/** Records a batch or transaction answer says it created, per type. */
function createdIn(res: Answer): Counts {
  const created = noChange();
  if (res.status !== 200) return created;
  for (const e of (JSON.parse(res.text) as Bundle).entry ?? []) {
    if (!e.response?.status?.startsWith('201')) continue;
    const type = e.resource?.resourceType ?? e.response.location?.split('/')[0] ?? '';
    if (type in created) created[type as keyof Counts] += 1;
  }
  return created;
}

describe('batch and transaction bundles', () => {
  it('never answer 5xx, and write exactly what the answer says was created', async () => {
    await fc.assert(
      fc.asyncProperty(bundleBody, async (body) => {
        const before = await counts();
        const res = await postJson('/fhir/R4', body);
        const label = `POST /fhir/R4 ${short(body)} -> ${res.status} ${short(res.text)}`;
        expect(res.status, label).toBeLessThan(500);
        expect(difference(before, await counts()), label).toEqual(createdIn(res));
      }),
      { numRuns: RUNS.bundle, seed: SEED, endOnFailure: true },
    );
  });

  // Bugs the fuzzers found, each pinned by its input.
  //
  // 1. processTransaction (src/fhir/bundle.ts) committed the writes, then ran the GET entries
  //    outside the transaction; a GET that failed (404 here) turned the answer into that error,
  //    but the Patient was stored.
  it('1: a transaction answered with an error has written nothing, even when a read failed', async () => {
    const before = await counts();
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: { resourceType: 'Patient', name: [{ family: 'Committed' }] },
          request: { method: 'POST', url: 'Patient' },
        },
        { request: { method: 'GET', url: 'Patient/no-such-patient' } },
      ],
    };
    const res = await postJson('/fhir/R4', JSON.stringify(bundle));
    expect(res.status).toBe(404);
    expect(difference(before, await counts())).toEqual(noChange());
  });

  // 2. parseEntry (src/fhir/bundle.ts) checked that request.url was there, not that it was text:
  //    `url.replace is not a function`, a 500; an ifNoneExist that was not text reached
  //    FhirStore.findExisting: `criteria.replace is not a function`, a 500.
  for (const [name, request] of [
    ['request.url', { method: 'GET', url: 5 }],
    ['request.ifNoneExist', { method: 'POST', url: 'Patient', ifNoneExist: 5 }],
  ] as const)
    for (const type of ['batch', 'transaction'])
      it(`2: a ${type} entry whose ${name} is not text is refused with a 400`, async () => {
        const entry = {
          request,
          ...(request.method === 'POST' ? { resource: { resourceType: 'Patient' } } : {}),
        };
        const res = await postJson(
          '/fhir/R4',
          JSON.stringify({ resourceType: 'Bundle', type, entry: [entry] }),
        );
        // A batch answers for each entry on its own; a transaction fails as a whole.
        const status =
          type === 'batch' ? (JSON.parse(res.text) as Bundle).entry?.[0]?.response?.status : res.status;
        expect(String(status)).toBe('400');
      });
});

// 3. The R4 validator (@medplum/core) took an empty object where a list belongs, and it was
//    stored; for these the search index then failed (`(n.given ?? []) is not iterable` and the
//    like), a 500. assertValidResource (src/fhir/definitions.ts) now refuses empty objects and lists.
describe('bug 3: an empty object in place of a list', () => {
  for (const [path, resource] of [
    ['Patient.name.given', { resourceType: 'Patient', name: [{ family: 'x', given: {} }] }],
    ['Patient.address.line', { resourceType: 'Patient', address: [{ line: {} }] }],
    ['Patient.meta.security', { resourceType: 'Patient', meta: { security: {} } }],
    ['Observation.code.coding', { resourceType: 'Observation', status: 'final', code: { coding: {} } }],
    ['Patient.telecom', { resourceType: 'Patient', telecom: [] }],
  ] as const)
    it(`${path}: an empty object or list is refused with a 400 and not stored`, async () => {
      const before = await counts();
      const res = await postJson(`/fhir/R4/${resource.resourceType}`, JSON.stringify(resource));
      expect(res.status).toBe(400);
      expect(difference(before, await counts())).toEqual(noChange());
    });
});

/** Search parameters by type, and the ones every type has; a few that no type has. */
const PARAMS_OF: Record<string, string[]> = {
  Patient: [
    'family',
    'given',
    'name',
    'identifier',
    'birthdate',
    'gender',
    'general-practitioner',
    'active',
    'address',
    'telecom',
    'phonetic',
    '_has:Observation:subject:value-string',
    '_has:Encounter:subject:status',
  ],
  Observation: [
    'subject',
    'patient',
    'code',
    'value-string',
    'value-quantity',
    'value-concept',
    'date',
    'status',
    'performer',
    'encounter',
    'code-value-quantity',
    'combo-code',
    'subject:Patient.name',
    'patient.birthdate',
  ],
  Encounter: [
    'subject',
    'patient',
    'status',
    'class',
    'date',
    'reason-code',
    'length',
    'subject:Patient.family',
  ],
  Practitioner: ['name', 'identifier', 'family'],
};
const COMMON_PARAMS = [
  '_id',
  '_lastUpdated',
  '_count',
  '_sort',
  '_include',
  '_revinclude',
  '_summary',
  '_total',
  '_elements',
  '_cursor',
  '_format',
  '_since',
  '_has',
  '_text',
  '_tag',
  '_security',
  '_profile',
];
const ODD_PARAMS = ['_has:Observation', 'subject.name', 'foo', '', '_has:Foo:bar:baz', 'subject:Device.name'];
const MODIFIERS = [
  ':exact',
  ':contains',
  ':missing',
  ':not',
  ':text',
  ':below',
  ':above',
  ':in',
  ':identifier',
  ':Patient',
  ':iterate',
  ':x',
  '::',
];
const searchValue: fc.Arbitrary<string> = fc.oneof(
  text,
  fc.constantFrom('a', 'Smith', 'F-1', 'urn:fuzz|F-1', 'final', 'female', '2024', 'Patient/fuzz-1', '_id'),
  fc.constantFrom(
    'true',
    'false',
    'eq1961',
    'ge1961-04-03',
    'lt2024-13-45',
    'sa-0001',
    'ap99999',
    'gt1e400',
    '5.4|http://unitsofmeasure.org|mg',
    'http://loinc.org|2345-7',
    '|',
    '||',
    'a$b',
    'a\\,b',
    'Patient/x',
    'Patient:subject',
    'Observation:*',
    'Observation:subject:Patient',
    '-family,birthdate',
    'count',
    '0',
    '-1',
    '1.5',
    '1001',
    '9'.repeat(30),
    'eyJ2IjpbXSwiaWQiOiJ4In0',
    'not base64!',
  ),
  fc
    .tuple(fc.constantFrom('eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'), text)
    .map(([p, v]) => p + v),
  fc.array(text, { minLength: 2, maxLength: 3 }).map((v) => v.join(',')),
);
const searchKey = (type: string): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...(PARAMS_OF[type] ?? []), ...COMMON_PARAMS),
          fc.oneof(
            { weight: 4, arbitrary: fc.constant('') },
            { weight: 1, arbitrary: fc.constantFrom(...MODIFIERS) },
          ),
        )
        .map(([n, m]) => n + m),
    },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_PARAMS, ...Object.values(PARAMS_OF).flat()) },
    { weight: 1, arbitrary: text },
  );
/** A query string; now and then raw bytes that are not valid percent-encoding. */
const queryString = (type: string): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .array(fc.tuple(searchKey(type), searchValue), { minLength: 1, maxLength: 6 })
        .map((pairs) =>
          pairs
            .map(
              ([k, v]) =>
                `${encodeURIComponent(k.replace(/\p{Cs}/gu, ''))}=${encodeURIComponent(v.replace(/\p{Cs}/gu, ''))}`,
            )
            .join('&'),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'family=%E0%A4%A',
        'family=%ZZ',
        'family=%',
        '&&&=',
        '=x',
        'family',
        '%ED%A0%80=1',
        'family=%ED%A0%80',
      ),
    },
  );
const searchType = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('Patient', 'Observation', 'Encounter') },
  { weight: 1, arbitrary: fc.constantFrom('Practitioner', 'AuditEvent', 'Foo', 'patient') },
);

describe('search strings', () => {
  it('never answer 5xx, by GET or by POST _search', async () => {
    await fc.assert(
      fc.asyncProperty(
        searchType.chain((type) => fc.tuple(fc.constant(type), queryString(type))),
        fc.boolean(),
        fc.boolean(),
        async ([type, query], post, lenient) => {
          const headers: Record<string, string> = lenient ? { prefer: 'handling=lenient' } : {};
          const res = post
            ? await call('POST', `/fhir/R4/${type}/_search`, query, {
                ...headers,
                'content-type': 'application/x-www-form-urlencoded',
              })
            : await call('GET', `/fhir/R4/${type}?${query}`, undefined, headers);
          expect(
            res.status,
            `${post ? 'POST _search' : 'GET'} ${type}?${query} -> ${short(res.text)}`,
          ).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS.search, seed: SEED, endOnFailure: true },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// HL7 v2 over MLLP.
// ---------------------------------------------------------------------------------------------

/** A plain TCP client: frames and unframes MLLP itself, so the test controls every byte. */
class MllpClient {
  private readonly framer = new MllpFramer();
  private readonly frames: string[] = [];
  private readonly waiters: Array<(text: string) => void> = [];
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const event of this.framer.push(chunk)) {
        if (event.type !== 'frame') continue;
        const text = event.data.toString('latin1');
        const waiter = this.waiters.shift();
        if (waiter) waiter(text);
        else this.frames.push(text);
      }
    });
  }

  static connect(port: number): Promise<MllpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(new MllpClient(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(bytes, (err) => (err ? reject(err) : resolve())),
    );
  }

  /** The next frame the listener sends, or a failure after `ms`. */
  next(ms = 30_000): Promise<string> {
    const ready = this.frames.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ACK within ${ms} ms`)), ms);
      this.waiters.push((t) => {
        clearTimeout(timer);
        resolve(t);
      });
    });
  }

  /** Frames that arrived without being asked for (there must be none: one ACK per message). */
  unasked(): string[] {
    return [...this.frames];
  }

  close(): void {
    this.socket.destroy();
  }
}

/** MSA-1 of an ACK, read by hand (it may carry the sender's odd delimiters). */
function ackCode(ack: string): string | undefined {
  const separator = ack[3] ?? '|';
  const msa = ack.split('\r').find((s) => s.startsWith(`MSA${separator}`));
  return msa?.split(separator)[1];
}

/** Field text: anything but the MLLP block bytes and the segment separator. */
const hl7Field: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 10 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '',
        '^',
        '~',
        '&',
        '\\',
        '\\E\\',
        '\\F\\',
        '\\X0D0A\\',
        '\\X\\',
        '\\H\\',
        '\\.br\\',
        '^^^',
        '~~',
        '""',
        'MR',
        '19610615',
        '20240230',
        '2024',
        '1961061512',
        '\u0000',
        'x'.repeat(2000),
      ),
    },
  )
  .map((s) => [...s].filter((c) => c !== '\x0b' && c !== '\x1c' && c !== '\r').join(''));

/** Mostly a plain word (no delimiters), sometimes any field text. */
const hl7Word: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 10 })
      .map((w) => [...w].filter((c) => !'|^~\\&'.includes(c)).join('') || 'X'),
  },
  { weight: 1, arbitrary: hl7Field },
);
/** Mostly one we take (ADT upserts and merges), sometimes one we refuse, sometimes anything. */
const messageType = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      'ADT^A01^ADT_A01',
      'ADT^A04^ADT_A01',
      'ADT^A08^ADT_A01',
      'ADT^A03^ADT_A03',
      'ADT^A28^ADT_A05',
      'ADT^A31^ADT_A05',
      'ADT^A40^ADT_A39',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('ADT^A05^ADT_A05', 'ORU^R01', 'ADT', 'ACK', '') },
  { weight: 1, arbitrary: hl7Field },
);
const usually = <T>(value: T, other: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: other });

const mrn = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('HL7-1', 'HL7-2', 'HL7-3') },
  { weight: 1, arbitrary: hl7Field },
);
const hl7Message = fc
  .record({
    encoding: fc.oneof(
      { weight: 8, arbitrary: fc.constant('^~\\&') },
      { weight: 1, arbitrary: fc.constantFrom('^~\\', '^~\\&#', '####', '', '^^^^') },
    ),
    type: messageType,
    control: usually('F1', hl7Field),
    version: usually('2.5', fc.constantFrom('2.3', '2.8', '', 'x')),
    charset: usually('', fc.constantFrom('UNICODE UTF-8', '8859/1', 'ASCII', 'bogus')),
    evn: fc.option(hl7Word),
    pid: fc.option(
      fc.record({
        mrn,
        authority: usually('FUZZ', fc.oneof(fc.constant(''), hl7Field)),
        family: hl7Word,
        given: hl7Word,
        dob: fc.oneof(
          fc.constantFrom('19610615', '1961', '20240230', '99999999', '19610615120000+0100'),
          hl7Field,
        ),
        sex: fc.constantFrom('M', 'F', 'U', 'X', ''),
        rest: fc.array(hl7Field, { maxLength: 4 }),
      }),
      { freq: 6 },
    ),
    pv1: fc.option(fc.array(hl7Field, { maxLength: 8 })),
    mrg: fc.option(mrn),
    extra: fc.array(
      fc.tuple(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom('ZZZ', 'NTE', 'OBX', 'PD1', 'NK1') },
          { weight: 1, arbitrary: fc.constantFrom('MSH', 'PID', 'A', '', 'pid') },
        ),
        fc.array(hl7Field, { maxLength: 4 }),
      ),
      { maxLength: 2 },
    ),
    trailingCr: fc.boolean(),
  })
  .map((m) => {
    const segments = [
      `MSH|${m.encoding}|FUZZ|FAC|CUSTODIAN|FAC|20240101120000||${m.type}|${m.control}|P|${m.version}|||||||${m.charset}`,
      ...(m.evn !== null ? [`EVN||${m.evn}`] : []),
      ...(m.pid
        ? [
            `PID|1||${m.pid.mrn}^^^${m.pid.authority}^MR||${m.pid.family}^${m.pid.given}||${m.pid.dob}|${m.pid.sex}|${m.pid.rest.join('|')}`,
          ]
        : []),
      ...(m.pv1 ? [`PV1|1|${m.pv1.join('|')}`] : []),
      ...(m.mrg !== null ? [`MRG|${m.mrg}^^^FUZZ^MR`] : []),
      ...m.extra.map(([name, fields]) => [name, ...fields].join('|')),
    ];
    const text = segments.join('\r') + (m.trailingCr ? '\r' : '');
    const latin1 = m.charset === '8859/1';
    // Latin-1 has no other characters; sent as Latin-1 they would become arbitrary bytes, the MLLP
    // block bytes among them, and so several messages.
    const message = latin1 ? [...text].map((c) => (c.charCodeAt(0) > 0xff ? '?' : c)).join('') : text;
    return { message, latin1 };
  });

describe('HL7 v2 messages over MLLP', () => {
  it('each get exactly one ACK, AE or AR change nothing, and the listener keeps serving', async () => {
    const client = await MllpClient.connect(listener.port);
    try {
      await fc.assert(
        fc.asyncProperty(hl7Message, async ({ message, latin1 }) => {
          const before = await counts();
          const body = Buffer.from(message, latin1 ? 'latin1' : 'utf8');
          await client.write(Buffer.concat([Buffer.from([0x0b]), body, Buffer.from([0x1c, 0x0d])]));
          const ack = await client.next();
          const code = ackCode(ack);
          const label = `${JSON.stringify(message).slice(0, 800)} -> ${JSON.stringify(ack).slice(0, 400)}`;
          expect(['AA', 'AE', 'AR'], label).toContain(code);
          if (code !== 'AA') expect(difference(before, await counts()), label).toEqual(noChange());
          expect(client.unasked(), label).toEqual([]);
        }),
        { numRuns: RUNS.hl7, seed: SEED, endOnFailure: true },
      );
    } finally {
      client.close();
    }
  });

  it('survives bytes that are not MLLP at all, and answers the next sender', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 3000 }),
        fc.boolean(),
        async (bytes, hangUp) => {
          const before = await counts();
          const junk = await MllpClient.connect(listener.port);
          await junk.write(Buffer.from(bytes));
          if (hangUp) junk.close();
          const client = await MllpClient.connect(listener.port);
          try {
            const good = [
              'MSH|^~\\&|FUZZ|FAC|CUSTODIAN|FAC|20240101120000||ADT^A08^ADT_A01|OK1|P|2.5',
              'EVN|A08|20240101120000',
              'PID|1||HL7-OK^^^FUZZ^MR||OKAY^ALICE||19700101|F',
            ].join('\r');
            await client.write(mllpFrame(good));
            expect(ackCode(await client.next())).toBe('AA');
            // Only the good message wrote anything: at most its patient.
            const changed = difference(before, await counts());
            expect(changed.Observation + changed.Practitioner).toBe(0);
            expect(changed.Patient).toBeLessThanOrEqual(1);
          } finally {
            client.close();
            junk.close();
          }
        },
      ),
      { numRuns: RUNS.junk, seed: SEED, endOnFailure: true },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The token endpoint.
// ---------------------------------------------------------------------------------------------

/**
 * POST /oauth2/token from a loopback address of our choosing: the endpoint allows 30 requests a
 * minute per address, and the fuzzer sends more (every address in 127.0.0.0/8 is loopback).
 */
function postFrom(localAddress: string, body: Buffer, contentType: string | undefined): Promise<Answer> {
  const url = new URL(`${server.url}/oauth2/token`);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        headers: { ...(contentType ? { 'content-type': contentType } : {}), 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const tokenField = fc.constantFrom(
  'grant_type',
  'username',
  'password',
  'client_id',
  'client_secret',
  'purpose_of_use',
  'purpose',
  'scope',
);
const tokenValue = fc.oneof(
  fc.constantFrom(
    'password',
    'client_credentials',
    'refresh_token',
    'fuzz-login',
    'admin',
    TEST_PASSWORD,
    'TREAT',
    'HOPERAT',
    'ETREAT',
    'bogus',
  ),
  // A NUL is a 400 already (bad-input.test.ts); here it would only hide the rest of the value.
  text.map((t) => t.split('\u0000').join('')),
);
const formOf = (pairs: Array<[string, string]>): string =>
  pairs
    .map(
      ([k, v]) =>
        `${encodeURIComponent(k.replace(/\p{Cs}/gu, ''))}=${encodeURIComponent(v.replace(/\p{Cs}/gu, ''))}`,
    )
    .join('&');

/** A login as a client sends it, the right password half of the time, now and then an odd field. */
const loginForm = fc
  .record({
    grant: usually('password', fc.oneof(fc.constantFrom('client_credentials', 'refresh_token', ''), text)),
    user: fc.oneof(fc.constantFrom('fuzz-login', 'fuzz-login', 'admin', 'nobody'), text),
    password: fc.oneof(fc.constant(TEST_PASSWORD), text),
    purpose: fc.option(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom('TREAT', 'HOPERAT', 'ETREAT', 'HSYSADMIN') },
        { weight: 1, arbitrary: text },
      ),
      { freq: 2 },
    ),
    extra: fc.option(fc.tuple(fc.oneof(tokenField, text), tokenValue), { freq: 2 }),
  })
  .map(({ grant, user, password, purpose, extra }) => {
    const client = grant === 'client_credentials';
    const pairs: Array<[string, string]> = [
      ['grant_type', grant],
      [client ? 'client_id' : 'username', user],
      [client ? 'client_secret' : 'password', password],
      ...(purpose !== null ? [['purpose_of_use', purpose] as [string, string]] : []),
      ...(extra ? [extra] : []),
    ];
    return { type: 'application/x-www-form-urlencoded', body: formOf(pairs) };
  });

const tokenRequest = fc.oneof(
  { weight: 6, arbitrary: loginForm },
  // Form bodies: the usual fields, repeated ones, odd ones, unencoded bytes.
  {
    weight: 3,
    arbitrary: fc.array(fc.tuple(fc.oneof(tokenField, text), tokenValue), { maxLength: 6 }).map((pairs) => ({
      type: 'application/x-www-form-urlencoded',
      body: formOf(pairs),
    })),
  },
  // JSON bodies, with values of any type.
  {
    weight: 2,
    arbitrary: fc
      .dictionary(fc.oneof(tokenField, text), fc.oneof(tokenValue, weird), { maxKeys: 5 })
      .map((o) => ({
        type: 'application/json',
        body: JSON.stringify(o),
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'application/x-www-form-urlencoded',
          'application/json',
          'text/plain',
          'multipart/form-data; boundary=x',
          '',
        ),
        text,
      )
      .map(([type, body]) => ({ type, body })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      {
        type: 'application/x-www-form-urlencoded',
        body: 'grant_type=password&username=fuzz-login&password=%E0%A4%A',
      },
      {
        type: 'application/x-www-form-urlencoded',
        body: 'grant_type=password&username=fuzz-login&username=admin&password=x',
      },
      {
        type: 'application/x-www-form-urlencoded',
        body: `grant_type=password&username=fuzz-login&password=${'x'.repeat(100_000)}`,
      },
      {
        type: 'application/json',
        body: '{"grant_type":"password","username":"fuzz-login","password":"\\ud800"}',
      },
      {
        type: 'application/json',
        body: '{"grant_type":["password"],"username":{"toString":1},"password":null}',
      },
    ),
  },
);

describe('the token endpoint', () => {
  it('never answers 5xx, and gives a token only for the right password', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(tokenRequest, async ({ type, body }) => {
        // A new source address every 20 requests keeps under the limit of 30 a minute.
        const address = `127.0.0.${2 + Math.floor(n / 20)}`;
        n += 1;
        const res = await postFrom(address, Buffer.from(body, 'utf8'), type || undefined);
        const label = `${type} ${short(body)} -> ${res.status} ${short(res.text)}`;
        expect(res.status, label).toBeLessThan(500);
        expect([200, 400, 401, 413, 415], label).toContain(res.status);
        if (res.status === 200) {
          // Only 'fuzz-login' and 'admin' exist among the names tried; both have this password.
          expect(body, label).toMatch(/fuzz-login|admin/);
          expect(body, label).toContain(TEST_PASSWORD);
        } else {
          expect(res.text, label).not.toContain('access_token');
        }
      }),
      { numRuns: RUNS.token, seed: SEED, endOnFailure: true },
    );
  });
});

describe('after all of it', () => {
  it('the server and the listener still answer', async () => {
    expect((await call('GET', '/fhir/R4/Patient?_count=1')).status).toBe(200);
    const client = await MllpClient.connect(listener.port);
    try {
      await client.write(
        mllpFrame(
          [
            'MSH|^~\\&|FUZZ|FAC|CUSTODIAN|FAC|20240101120000||ADT^A08^ADT_A01|END1|P|2.5',
            'PID|1||HL7-END^^^FUZZ^MR||END^E',
          ].join('\r'),
        ),
      );
      expect(ackCode(await client.next())).toBe('AA');
    } finally {
      client.close();
    }
  });
});
