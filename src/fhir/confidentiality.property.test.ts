import type { Binary, Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.ts';
import { startServer } from '../app/runtime.ts';
import { createUser } from '../auth/users.ts';
import { cliContext } from '../cli/context.ts';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../testing/test-db.ts';
import { TEST_PASSWORD } from '../testing/test-server.ts';
import { FhirStore } from './store.ts';

/**
 * Issue #21, "proving the class is closed": generated searches, bundles, reads and histories, run
 * as a technician (who may not see R or PSY records without breaking the glass), never return,
 * count or resolve a restricted record, and never answer 5xx.
 *
 * The formulation is non-interference. Two stores get the same open records under the same ids;
 * only `full` also holds the restricted ones. Every generated request goes to both, and the
 * technician's answers must be the same (after removing what legitimately differs: timestamps,
 * the base URL in links, and the ids the server generates for records created during the run, which
 * are paired up in order of appearance). Anything a restricted record changed, a total, a page,
 * a conditional reference's success or the id it resolved to, an If-None-Exist hit, a 412 for
 * "several matches", shows up as a difference. On top of that, the restricted records' names,
 * values and ids must not appear in any resource `full` returns (links echo the query and
 * refusals name the id asked for, so only returned records are judged).
 *
 * Requests that name a restricted record by id (read, vread, its history, PUT) are the one place
 * the stores may differ by design (403 "break the glass" there, 404 here): they are checked on
 * `full` alone, for a refusal without content and with nothing changed. Conditional lookups are
 * also probed in pairs, a value matching a restricted record's secret against the same value
 * changed: both must answer alike. And the generated reads must reach restricted records (a
 * privacy officer, who sees them, is answered differently often enough), or the test proves nothing.
 *
 * Fixed seeds keep CI reproducible; fast-check prints the seed and path of a failure. Shrinking is
 * off (`endOnFailure`): each run is one request against a server whose state the earlier runs made.
 */

const SEED = 0x21c0;
const TWIN_RUNS = 250;
const DIRECT_RUNS = 40;
const PROBE_RUNS = 40;

const SYS = 'urn:test:prop';
const LOINC = 'http://loinc.org';
const GLUCOSE = { system: LOINC, code: '2345-7' };
const RESTRICTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' };
const PSY = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'PSY' };

// ---------------------------------------------------------------------------------------------
// The records. Ids are chosen (written with PUT), so both stores hold the open ones under the
// same ids. Restricted records have `hidden-...-q7` ids, and names and values found nowhere else.
// ---------------------------------------------------------------------------------------------

type Stored = Resource & { id: string };
interface Seed {
  resource: Stored;
  /** Only in the full store. */
  hidden: boolean;
}

const patient = (
  id: string,
  family: string,
  given: string,
  mrn: string,
  birthDate: string,
  gender: 'female' | 'male',
  labelled = false,
): Stored => ({
  resourceType: 'Patient',
  id,
  ...(labelled ? { meta: { security: [RESTRICTED] } } : {}),
  identifier: [{ system: SYS, value: mrn }],
  name: [{ family, given: [given] }],
  birthDate,
  gender,
});

const observation = (
  id: string,
  subject: string,
  valueString: string,
  extra: Record<string, unknown> = {},
): Stored => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [GLUCOSE] },
  subject: { reference: `Patient/${subject}` },
  valueString,
  ...extra,
});

const encounter = (
  id: string,
  subject: string,
  status: string,
  extra: Record<string, unknown> = {},
): Stored =>
  ({
    resourceType: 'Encounter',
    id,
    status,
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: `Patient/${subject}` },
    ...extra,
  }) as Stored;

const OPEN_PATIENTS = ['open-patient-1', 'open-patient-2'] as const;
const HIDDEN_PATIENT = 'hidden-patient-q7';
const LATER_PATIENT = 'hidden-later-patient-q7';
const HIDDEN_OBS = 'hidden-obs-q7';
const PSY_OBS = 'hidden-psy-q7';
const LATER_OBS = 'hidden-later-obs-q7';
const LATER_CHART_OBS = 'hidden-later-chart-q7';
const HIDDEN_ENCOUNTER = 'hidden-encounter-q7';
/** An open Observation whose performer is the restricted patient: includes and chains must stop there. */
const BRIDGE = 'bridge-obs-1';

const SECRETS = {
  family: 'Sequestered',
  given: 'Hushabye',
  laterFamily: 'Latelabel',
  value: 'SECRET-VALUE-7731',
  psy: 'PSY-NOTE-5150',
  later: 'LATER-PSY-NOTE-42',
  laterChart: 'LATER-CHART-88',
  reason: 'HIDDEN-REASON-31',
} as const;

/** Written in this order; the two `later` records are labelled at the end (a second version). */
const SEEDS: Seed[] = [
  { hidden: false, resource: patient('open-patient-1', 'Openly', 'Ann', 'OPEN-1', '1961-04-03', 'female') },
  {
    hidden: true,
    resource: patient(HIDDEN_PATIENT, SECRETS.family, SECRETS.given, 'CONF-1', '1961-04-03', 'female', true),
  },
  { hidden: false, resource: patient('open-patient-2', 'Seqfield', 'Ada', 'OPEN-2', '1961-04-04', 'male') },
  {
    hidden: true,
    resource: patient(LATER_PATIENT, SECRETS.laterFamily, 'Lina', 'LATE-1', '1975-09-09', 'female'),
  },
  { hidden: false, resource: encounter('open-encounter-1', 'open-patient-1', 'finished') },
  {
    hidden: true,
    resource: encounter(HIDDEN_ENCOUNTER, HIDDEN_PATIENT, 'finished', {
      reasonCode: [{ text: SECRETS.reason }],
    }),
  },
  { hidden: false, resource: encounter('open-encounter-2', 'open-patient-2', 'in-progress') },
  {
    hidden: false,
    resource: observation('open-obs-1', 'open-patient-1', 'OPEN-VALUE-1234', {
      encounter: { reference: 'Encounter/open-encounter-1' },
    }),
  },
  {
    hidden: true,
    resource: observation(HIDDEN_OBS, HIDDEN_PATIENT, SECRETS.value, {
      encounter: { reference: `Encounter/${HIDDEN_ENCOUNTER}` },
    }),
  },
  // Shares a prefix with the secret value, so prefix searches have something open to find.
  { hidden: false, resource: observation('open-obs-2', 'open-patient-2', 'SECRET-VALUE-0000') },
  {
    hidden: true,
    resource: observation(PSY_OBS, 'open-patient-1', SECRETS.psy, {
      meta: { security: [PSY] },
      encounter: { reference: 'Encounter/open-encounter-1' },
    }),
  },
  { hidden: true, resource: observation(LATER_OBS, 'open-patient-2', SECRETS.later) },
  { hidden: true, resource: observation(LATER_CHART_OBS, LATER_PATIENT, SECRETS.laterChart) },
  {
    hidden: false,
    resource: observation(BRIDGE, 'open-patient-1', 'BRIDGE-VALUE-1', {
      performer: [{ reference: `Patient/${HIDDEN_PATIENT}` }],
    }),
  },
];

/** Second versions, written last: records labelled after they were written. */
const RELABELS: Stored[] = [
  { ...observation(LATER_OBS, 'open-patient-2', SECRETS.later), meta: { security: [PSY] } },
  {
    ...patient(LATER_PATIENT, SECRETS.laterFamily, 'Lina', 'LATE-1', '1975-09-09', 'female'),
    meta: { security: [RESTRICTED] },
  },
];

const HIDDEN = new Map<string, string>(
  SEEDS.filter((s) => s.hidden).map((s) => [s.resource.id, s.resource.resourceType]),
);
const HIDDEN_IDS = [...HIDDEN.keys()];
/** What only restricted records hold: none of it may be in a record the technician gets. */
const MARKERS = [...Object.values(SECRETS), ...HIDDEN_IDS];

// ---------------------------------------------------------------------------------------------
// Two stores over HTTP.
// ---------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  text: string;
}

/** The technician; the administrator, who writes the records; a privacy officer, who sees them all. */
type Who = 'admin' | 'tech' | 'officer';

interface Store {
  url: string;
  db: Db;
  call(
    who: Who,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer>;
  stop(): Promise<void>;
}

/** A server with just the users this test needs (every extra password hash costs a second). */
async function startStore(withOfficer: boolean): Promise<Store> {
  const db = await openTestDb();
  const server = await startServer(
    { ...loadConfig({}), port: 0, host: '127.0.0.1', adminUser: 'admin', adminPassword: TEST_PASSWORD },
    { db, web: false, log: () => undefined },
  );
  await db.transaction(async (tx) => {
    await createUser(tx, { username: 'technician', password: TEST_PASSWORD, role: 'him-technician' });
    if (withOfficer)
      await createUser(tx, { username: 'officer', password: TEST_PASSWORD, role: 'privacy-officer' });
  });
  const login = async (username: string): Promise<string> => {
    const form = new URLSearchParams({ grant_type: 'password', username, password: TEST_PASSWORD });
    const res = await fetch(`${server.url}/oauth2/token`, { method: 'POST', body: form });
    const token = ((await res.json()) as { access_token?: string }).access_token;
    if (!token) throw new Error(`login failed for ${username}`);
    return token;
  };
  const tokens: Record<Who, string> = {
    admin: await login('admin'),
    tech: await login('technician'),
    officer: withOfficer ? await login('officer') : '',
  };
  return {
    url: server.url,
    db,
    async call(who, method, path, body, headers = {}) {
      const h: Record<string, string> = { authorization: `Bearer ${tokens[who]}`, ...headers };
      let payload: string | undefined;
      if (body !== undefined) {
        payload = typeof body === 'string' ? body : JSON.stringify(body);
        h['content-type'] ??= 'application/fhir+json';
      }
      const res = await fetch(path.startsWith('http') ? path : `${server.url}${path}`, {
        method,
        headers: h,
        ...(payload !== undefined ? { body: payload } : {}),
      });
      return { status: res.status, text: await res.text() };
    },
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

let full: Store;
let shadow: Store;

async function seed(store: Store, withHidden: boolean): Promise<void> {
  const put = async (resource: Stored): Promise<void> => {
    const res = await store.call(
      'admin',
      'PUT',
      `/fhir/R4/${resource.resourceType}/${resource.id}`,
      resource,
    );
    if (res.status >= 300) throw new Error(`seeding ${resource.id}: ${res.status} ${res.text}`);
  };
  for (const s of SEEDS) if (withHidden || !s.hidden) await put(s.resource);
  if (withHidden) for (const r of RELABELS) await put(r);
}

beforeAll(async () => {
  [full, shadow] = await Promise.all([startStore(true), startStore(false)]);
  await Promise.all([seed(full, true), seed(shadow, false)]);
});
afterAll(async () => {
  await Promise.all([full?.stop(), shadow?.stop()]);
});

// ---------------------------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------------------------

type Query = Array<[string, string]>;
type SearchType = 'Patient' | 'Observation' | 'Encounter';

const prefixOf = (values: readonly string[]): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom(...values), fc.nat()).map(([s, k]) => s.slice(0, 1 + (k % s.length)));

const NAMES = [
  SECRETS.family,
  SECRETS.given,
  SECRETS.laterFamily,
  'sequestered',
  'Seq',
  'seq',
  'quest',
  'Openly',
  'Seqfield',
  'Ada',
  'Ann',
  'Lina',
  'Zoë',
  '山田',
  "O'Brien",
  'Seq,Open',
];
const nameValue = fc.oneof(
  fc.constantFrom(...NAMES),
  prefixOf([SECRETS.family, SECRETS.laterFamily, SECRETS.given]),
);

const VALUES = [
  SECRETS.value,
  SECRETS.psy,
  SECRETS.later,
  SECRETS.laterChart,
  'SECRET-VALUE-0000',
  'OPEN-VALUE-1234',
  'BRIDGE-VALUE-1',
  'secret-value-77',
  '7731',
  'NOTE',
];
const valueString = fc.oneof(
  fc.constantFrom(...VALUES),
  prefixOf([SECRETS.value, SECRETS.psy, SECRETS.later]),
);

const MRNS = ['CONF-1', 'CONF', 'LATE-1', 'OPEN-1', 'OPEN-2', 'GEN-1', 'GEN-2'];
const identifierValue = fc.oneof(
  fc.constantFrom(...MRNS).map((v) => `${SYS}|${v}`),
  fc.constantFrom(...MRNS),
  fc.constantFrom(...MRNS).map((v) => `|${v}`),
  fc.constant(`${SYS}|`),
);

const DATES = ['1961', '1961-04', '1961-04-03', '1961-04-04', '1975-09-09', '1975', '2000-01-01'];
const DATE_PREFIXES = ['', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];
const dateValue = fc
  .tuple(fc.constantFrom(...DATE_PREFIXES), fc.constantFrom(...DATES))
  .map(([p, d]) => `${p}${d}`);

/** Ids created by the technician's PUTs during the run (chosen, so both stores share them). */
const GEN_PATIENTS = ['gen-patient-1', 'gen-patient-2', 'gen-patient-3'];
const GEN_OBS = ['gen-obs-1', 'gen-obs-2', 'gen-obs-3'];
const idsOf = (type: SearchType, hidden: boolean): string[] =>
  SEEDS.filter((s) => s.hidden === hidden && s.resource.resourceType === type).map((s) => s.resource.id);
const GEN: Record<SearchType, string[]> = { Patient: GEN_PATIENTS, Observation: GEN_OBS, Encounter: [] };
/** An id of this type that is not restricted (it may not exist), or one that is. */
const openIdOf = (type: SearchType): fc.Arbitrary<string> =>
  fc.constantFrom(...idsOf(type, false), ...GEN[type], 'no-such-id');
const idOf = (type: SearchType): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: openIdOf(type) },
    { weight: 2, arbitrary: fc.constantFrom(...idsOf(type, true)) },
  );
const idList = (type: SearchType): fc.Arbitrary<string> =>
  fc.array(idOf(type), { minLength: 1, maxLength: 3 }).map((ids) => ids.join(','));
const patientRef = idOf('Patient').map((id) => `Patient/${id}`);

const stringModifier = fc.constantFrom('', ':exact', ':contains');

type Param = [string, string];
const as =
  (key: string) =>
  (value: string): Param => [key, value];
const fixed = (key: string, value: string): fc.Arbitrary<Param> => fc.constant<Param>([key, value]);

const patientFilter: fc.Arbitrary<Param> = fc.oneof(
  fc
    .tuple(fc.constantFrom('family', 'given', 'name'), stringModifier, nameValue)
    .map(([p, m, v]): Param => [`${p}${m}`, v]),
  identifierValue.map(as('identifier')),
  dateValue.map(as('birthdate')),
  idList('Patient').map(as('_id')),
  fc.constantFrom('female', 'male').map(as('gender')),
  fc.constantFrom('female', 'male').map(as('gender:not')),
  valueString.map(as('_has:Observation:subject:value-string')),
  valueString.map(as('_has:Observation:performer:value-string')),
  idOf('Observation').map(as('_has:Observation:subject:_id')),
  fc.constantFrom('finished', 'in-progress').map(as('_has:Encounter:subject:status')),
  fixed('_has:Observation:patient:code', `${LOINC}|2345-7`),
);

const observationFilter: fc.Arbitrary<Param> = fc.oneof(
  fc.tuple(stringModifier, valueString).map(([m, v]): Param => [`value-string${m}`, v]),
  fc.constantFrom(`${LOINC}|2345-7`, '2345-7', `${LOINC}|`).map(as('code')),
  fc.constantFrom('final', 'preliminary').map(as('status')),
  fc.tuple(fc.constantFrom('subject', 'patient', 'performer'), patientRef).map(([p, v]): Param => [p, v]),
  fc
    .tuple(
      fc.constantFrom('subject:Patient', 'patient', 'performer:Patient'),
      fc.constantFrom('family', 'name', 'given'),
      nameValue,
    )
    .map(([head, p, v]): Param => [`${head}.${p}`, v]),
  identifierValue.map(as('subject:Patient.identifier')),
  dateValue.map(as('patient.birthdate')),
  fc.constantFrom('open-encounter-1', HIDDEN_ENCOUNTER).map((v): Param => ['encounter', `Encounter/${v}`]),
  fc.constantFrom('finished', 'in-progress').map(as('encounter:Encounter.status')),
  idList('Observation').map(as('_id')),
);

const encounterFilter: fc.Arbitrary<Param> = fc.oneof(
  fc.tuple(fc.constantFrom('subject', 'patient'), patientRef).map(([p, v]): Param => [p, v]),
  nameValue.map(as('subject:Patient.family')),
  identifierValue.map(as('patient.identifier')),
  fc.constantFrom('finished', 'in-progress').map(as('status')),
  idList('Encounter').map(as('_id')),
  valueString.map(as('_has:Observation:encounter:value-string')),
  fc.constantFrom(SECRETS.reason, 'HIDDEN').map(as('reason-code:text')),
);

const FILTERS: Record<SearchType, fc.Arbitrary<Param>> = {
  Patient: patientFilter,
  Observation: observationFilter,
  Encounter: encounterFilter,
};

const RESULT_CONTROLS: Record<SearchType, fc.Arbitrary<Param>> = {
  Patient: fc.oneof(
    fc
      .constantFrom(
        'Observation:subject',
        'Observation:performer',
        'Encounter:subject',
        'Observation:patient',
      )
      .map(as('_revinclude')),
    fc
      .constantFrom('family', '-family', 'birthdate', '-birthdate', 'given', '_id', 'identifier', 'name')
      .map(as('_sort')),
  ),
  Observation: fc.oneof(
    fc
      .constantFrom(
        'Observation:subject',
        'Observation:performer',
        'Observation:patient',
        'Observation:encounter',
        'Observation:*',
        'Observation:subject:Patient',
      )
      .map(as('_include')),
    fixed('_include:iterate', 'Encounter:subject'),
    fc.constantFrom('value-string', '-value-string', 'code', 'subject', '-patient', '_id').map(as('_sort')),
  ),
  Encounter: fc.oneof(
    fc.constantFrom('Encounter:subject', 'Encounter:patient').map(as('_include')),
    fixed('_revinclude', 'Observation:encounter'),
    fixed('_revinclude:iterate', 'Observation:subject'),
    fc.constantFrom('status', '-status', 'subject', '_id').map(as('_sort')),
  ),
};

const commonControl: fc.Arbitrary<Param> = fc.oneof(
  fc.constantFrom('count', 'true', 'data', 'text', 'false').map(as('_summary')),
  fc.constantFrom('accurate', 'none', 'estimate').map(as('_total')),
  fc.constantFrom('2', '5', '50').map(as('_count')),
  fc.constantFrom('id,subject', 'name,birthDate', 'valueString').map(as('_elements')),
);

const searchType = fc.constantFrom<SearchType>('Patient', 'Observation', 'Encounter');

const searchOf = (type: SearchType): fc.Arbitrary<{ type: SearchType; query: Query }> =>
  fc
    .tuple(
      fc.oneof(
        { weight: 3, arbitrary: FILTERS[type].map((f) => [f]) },
        { weight: 1, arbitrary: fc.array(FILTERS[type], { minLength: 2, maxLength: 3 }) },
      ),
      fc.array(fc.oneof(RESULT_CONTROLS[type], commonControl), { maxLength: 2 }),
    )
    .map(([filters, controls]) => ({ type, query: [...filters, ...controls] }));

const search = searchType.chain(searchOf);
const typedOpenId: fc.Arbitrary<[SearchType, string]> = searchType.chain((t) =>
  openIdOf(t).map((id): [SearchType, string] => [t, id]),
);
const qs = (query: Query): string => new URLSearchParams(query).toString();

/** Criteria of conditional references and If-None-Exist, by the type they look up. */
const patientCriteria: fc.Arbitrary<string> = fc.oneof(
  identifierValue.map((v) => `identifier=${v}`),
  nameValue.map((v) => `family=${v}`),
  fc.tuple(idOf('Patient'), dateValue).map(([id, d]) => `_id=${id}&birthdate=${d}`),
  fc.tuple(idOf('Patient'), nameValue).map(([id, n]) => `_id=${id}&family=${n}`),
  valueString.map((v) => `_has:Observation:subject:value-string=${v}`),
  fc.tuple(dateValue, fc.constantFrom('female', 'male')).map(([d, g]) => `birthdate=${d}&gender=${g}`),
  nameValue.map((v) => `name:contains=${v}`),
);
const observationCriteria: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(idOf('Observation'), valueString).map(([id, v]) => `_id=${id}&value-string=${v}`),
  valueString.map((v) => `value-string:contains=${v}`),
  nameValue.map((v) => `subject:Patient.family=${v}`),
  patientRef.map((r) => `code=${LOINC}|2345-7&subject=${r}`),
);
const encounterCriteria: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(idOf('Encounter'), identifierValue).map(([id, v]) => `_id=${id}&subject:Patient.identifier=${v}`),
  fc
    .tuple(patientRef, fc.constantFrom('finished', 'in-progress'))
    .map(([r, s]) => `subject=${r}&status=${s}`),
);

/** Values the technician writes: never a restricted record's name or value (they would be returned). */
const writeName = fc.constantFrom('Openly', 'Seq', 'Sequest', 'Late', 'Probe', 'Zoë');
const writeValue = fc.constantFrom('SECRET-VALUE-77', 'PSY-NOTE', 'probe value', 'OPEN-VALUE-1234');
const literalPatient = fc
  .constantFrom(...OPEN_PATIENTS, ...GEN_PATIENTS, 'no-such-id')
  .map((id) => `Patient/${id}`);
const maybeLabel = fc
  .option(fc.constantFrom(RESTRICTED, PSY), { freq: 4 })
  .map((l) => (l ? { meta: { security: [l] } } : {}));

const newPatient = fc
  .tuple(writeName, fc.constantFrom(...MRNS), fc.constantFrom(...DATES), maybeLabel)
  .map(([family, mrn, birthDate, label]) => ({
    resourceType: 'Patient',
    ...label,
    identifier: [{ system: SYS, value: mrn }],
    name: [{ family }],
    birthDate,
  }));

const subjectReference = fc.oneof(
  literalPatient,
  patientCriteria.map((c) => `Patient?${c}`),
);
const newObservation = fc
  .tuple(
    subjectReference,
    fc.option(patientCriteria, { freq: 3 }),
    fc.option(observationCriteria, { freq: 3 }),
    fc.option(encounterCriteria, { freq: 3 }),
    writeValue,
    maybeLabel,
  )
  .map(([subject, performer, derivedFrom, enc, value, label]) => ({
    resourceType: 'Observation',
    ...label,
    status: 'final',
    code: { coding: [GLUCOSE] },
    subject: { reference: subject },
    ...(performer ? { performer: [{ reference: `Patient?${performer}` }] } : {}),
    ...(derivedFrom ? { derivedFrom: [{ reference: `Observation?${derivedFrom}` }] } : {}),
    ...(enc ? { encounter: { reference: `Encounter?${enc}` } } : {}),
    valueString: value,
  }));

/** What a PATCH names: an open record by id, or criteria that may match restricted records. */
const patchTarget: fc.Arbitrary<string> = fc.oneof(
  typedOpenId.filter(([t]) => t === 'Patient').map(([, id]) => `Patient/${id}`),
  patientCriteria.map((c) => `Patient?${c}`),
);
/** A JSON Patch the technician may apply to a Patient: never a restricted record's value. */
const jsonPatch = fc.oneof(
  fc.constant([{ op: 'add', path: '/active', value: true }]),
  writeName.map((family) => [{ op: 'add', path: '/name', value: [{ family }] }]),
  fc.constantFrom(...DATES).map((d) => [{ op: 'replace', path: '/birthDate', value: d }]),
  fc.constant([{ op: 'test', path: '/birthDate', value: '1961-04-03' }]),
);

const bundleEntry: fc.Arbitrary<BundleEntry> = fc.oneof(
  // Reads and searches inside the bundle (one big page, so the answer does not depend on order).
  search.map(({ type, query }) => ({
    request: { method: 'GET' as const, url: `${type}?${qs([...query, ['_count', '500']])}` },
  })),
  typedOpenId.map(([t, id]) => ({ request: { method: 'GET' as const, url: `${t}/${id}` } })),
  // Conditional references.
  newObservation.map((resource) => ({
    resource: resource as Resource,
    request: { method: 'POST' as const, url: 'Observation' },
  })),
  // Conditional creates.
  fc.tuple(newPatient, patientCriteria).map(([resource, ifNoneExist]) => ({
    resource: resource as Resource,
    request: { method: 'POST' as const, url: 'Patient', ifNoneExist },
  })),
  fc.tuple(newObservation, observationCriteria).map(([resource, ifNoneExist]) => ({
    resource: resource as Resource,
    request: { method: 'POST' as const, url: 'Observation', ifNoneExist },
  })),
  // Writes under chosen ids, and deletes (the technician may not delete: refused alike).
  fc.tuple(fc.constantFrom(...GEN_PATIENTS), newPatient).map(([id, p]) => ({
    resource: { ...p, id } as Resource,
    request: { method: 'PUT' as const, url: `Patient/${id}` },
  })),
  fc.tuple(fc.constantFrom(...GEN_OBS), newObservation).map(([id, o]) => ({
    resource: { ...o, id } as Resource,
    request: { method: 'PUT' as const, url: `Observation/${id}` },
  })),
  searchType.chain((t) =>
    idOf(t).map((id) => ({ request: { method: 'DELETE' as const, url: `${t}/${id}` } })),
  ),
  // Conditional update and delete, and PATCH entries (a Binary JSON Patch) by id or by criteria.
  fc.tuple(newPatient, patientCriteria).map(([resource, criteria]) => ({
    resource: resource as Resource,
    request: { method: 'PUT' as const, url: `Patient?${criteria}` },
  })),
  patientCriteria.map((criteria) => ({ request: { method: 'DELETE' as const, url: `Patient?${criteria}` } })),
  fc.tuple(patchTarget, jsonPatch).map(([url, ops]): BundleEntry => {
    const patch: Binary = {
      resourceType: 'Binary',
      contentType: 'application/json-patch+json',
      data: Buffer.from(JSON.stringify(ops)).toString('base64'),
    };
    return { resource: patch, request: { method: 'PATCH', url } };
  }),
);

/** A new patient and an observation naming it by its bundle-internal `urn:uuid:`. */
const urnPair = fc.tuple(newPatient, newObservation).map(([p, o]): BundleEntry[] => [
  {
    fullUrl: 'urn:uuid:2b7c4c4e-0000-4000-8000-000000000001',
    resource: p as Resource,
    request: { method: 'POST', url: 'Patient' },
  },
  {
    resource: { ...o, subject: { reference: 'urn:uuid:2b7c4c4e-0000-4000-8000-000000000001' } } as Resource,
    request: { method: 'POST', url: 'Observation' },
  },
]);

const bundle = fc
  .tuple(
    fc.constantFrom('batch', 'transaction'),
    fc.array(
      fc.oneof({ weight: 5, arbitrary: bundleEntry.map((e) => [e]) }, { weight: 1, arbitrary: urnPair }),
      {
        minLength: 1,
        maxLength: 3,
      },
    ),
  )
  .map(([type, groups]): Bundle => ({ resourceType: 'Bundle', type, entry: groups.flat() }));

/** One request both stores must answer alike. */
type TwinRequest =
  | { kind: 'search'; type: SearchType; query: Query; post: boolean; lenient: boolean }
  | { kind: 'get'; path: string }
  | { kind: 'bundle'; bundle: Bundle }
  | { kind: 'create'; resource: Record<string, unknown>; ifNoneExist: string }
  | { kind: 'write'; method: 'PUT' | 'PATCH'; path: string; body: unknown; contentType: string };

const twinRequest: fc.Arbitrary<TwinRequest> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(search, fc.boolean(), fc.option(fc.constantFrom('_unknown', 'subject:Device.name'), { freq: 6 }))
      .map(([s, post, unknown]) => ({
        kind: 'search' as const,
        type: s.type,
        query: unknown ? [...s.query, [unknown, 'x'] as [string, string]] : s.query,
        post,
        lenient: unknown !== null,
      })),
  },
  { weight: 4, arbitrary: bundle.map((b) => ({ kind: 'bundle' as const, bundle: b })) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constant('/fhir/R4/_history?_count=1000'),
        fc.constant('/fhir/R4/_history?_count=1000&_since=2000-01-01T00:00:00Z'),
        searchType.map((t) => `/fhir/R4/${t}/_history?_count=1000`),
        typedOpenId.map(([t, id]) => `/fhir/R4/${t}/${id}/_history`),
        fc
          .tuple(typedOpenId, fc.integer({ min: 1, max: 3 }))
          .map(([[t, id], v]) => `/fhir/R4/${t}/${id}/_history/${v}`),
        fc
          .tuple(typedOpenId, fc.constantFrom('', '?_summary=true', '?_elements=subject'))
          .map(([[t, id], q]) => `/fhir/R4/${t}/${id}${q}`),
        fc.constantFrom(...OPEN_PATIENTS, ...GEN_PATIENTS).map((id) => `/fhir/R4/Patient/${id}/$everything`),
        // Paged: every page followed, the pages' records compared as one set.
        fc.constantFrom('/fhir/R4/_history?_count=3', '/fhir/R4/Patient/_history?_count=2'),
        fc
          .constantFrom(...OPEN_PATIENTS, ...GEN_PATIENTS)
          .map((id) => `/fhir/R4/Patient/${id}/$everything?_count=2`),
      )
      .map((path) => ({ kind: 'get' as const, path })),
  },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.tuple(newPatient, patientCriteria).map(([body, c]) => ({
        kind: 'write' as const,
        method: 'PUT' as const,
        path: `/fhir/R4/Patient?${c}`,
        body,
        contentType: 'application/fhir+json',
      })),
      fc.tuple(patchTarget, jsonPatch).map(([target, body]) => ({
        kind: 'write' as const,
        method: 'PATCH' as const,
        path: `/fhir/R4/${target}`,
        body,
        contentType: 'application/json-patch+json',
      })),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc
        .tuple(newPatient, patientCriteria)
        .map(([resource, c]) => ({ kind: 'create' as const, resource, ifNoneExist: c })),
      fc
        .tuple(newObservation, observationCriteria)
        .map(([resource, c]) => ({ kind: 'create' as const, resource, ifNoneExist: c })),
    ),
  },
);

// ---------------------------------------------------------------------------------------------
// Running a request and judging the answers.
// ---------------------------------------------------------------------------------------------

/** Every answer of one request: a search is followed through its pages. */
async function perform(store: Store, req: TwinRequest, who: Who = 'tech'): Promise<Answer[]> {
  switch (req.kind) {
    case 'search': {
      const headers: Record<string, string> = req.lenient ? { prefer: 'handling=lenient' } : {};
      const first = req.post
        ? await store.call(who, 'POST', `/fhir/R4/${req.type}/_search`, qs(req.query), {
            ...headers,
            'content-type': 'application/x-www-form-urlencoded',
          })
        : await store.call(who, 'GET', `/fhir/R4/${req.type}?${qs(req.query)}`, undefined, headers);
      return withNextPages(store, who, first, headers);
    }
    case 'get':
      return withNextPages(store, who, await store.call(who, 'GET', req.path));
    case 'write':
      return [await store.call(who, req.method, req.path, req.body, { 'content-type': req.contentType })];
    case 'bundle':
      return [await store.call(who, 'POST', '/fhir/R4', req.bundle)];
    case 'create':
      return [
        // A header is Latin-1: the criteria travel percent-encoded, as a query string may.
        await store.call(who, 'POST', `/fhir/R4/${String(req.resource.resourceType)}`, req.resource, {
          'if-none-exist': encodeURI(req.ifNoneExist),
        }),
      ];
  }
}

/** A Bundle answer and the pages its `next` links lead to. */
async function withNextPages(
  store: Store,
  who: Who,
  first: Answer,
  headers: Record<string, string> = {},
): Promise<Answer[]> {
  const pages = [first];
  for (let page = first; page.status === 200 && pages.length < 100;) {
    const next = (JSON.parse(page.text) as Bundle).link?.find((l) => l.relation === 'next')?.url;
    if (!next) break;
    page = await store.call(who, 'GET', next, undefined, headers);
    pages.push(page);
  }
  return pages;
}

/** The records an answer returns (a refusal or a Bundle's links return none). */
function returned(value: unknown): Resource[] {
  const r = value as Resource | undefined;
  if (!r || typeof r !== 'object' || r.resourceType === 'OperationOutcome') return [];
  if (r.resourceType !== 'Bundle') return [r];
  return (r.entry ?? []).flatMap((e) => returned(e.resource));
}

/**
 * Restricted names, values or ids in a returned record. Two kinds of reference are the caller's own
 * text, not something the store revealed: the bridge's performer, and a conditional reference as
 * the caller wrote it (in a refused entry's echo, say).
 */
function leaksIn(answer: Answer): string[] {
  if (!answer.text.startsWith('{')) return [];
  const found: string[] = [];
  for (const resource of returned(JSON.parse(answer.text))) {
    if (resource.id && HIDDEN.get(resource.id) === resource.resourceType)
      found.push(`${resource.resourceType}/${resource.id}`);
    const judged = resource.id === BRIDGE ? { ...resource, performer: undefined } : resource;
    const text = JSON.stringify(judged, (key, value: unknown) =>
      key === 'reference' && typeof value === 'string' && CONDITIONAL.test(value) ? '<criteria>' : value,
    );
    for (const marker of MARKERS)
      if (text.includes(marker)) found.push(`${marker} in ${resource.resourceType}/${resource.id ?? ''}`);
  }
  return found;
}

const CONDITIONAL = /^[A-Z][A-Za-z]+\?/;

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * Ids the servers generated (records created during the run), as the same name on both sides:
 * new ones are paired in order of first appearance, which is the same on both as long as the
 * answers are the same.
 */
class IdPairs {
  private readonly names: [Map<string, string>, Map<string, string>] = [
    new Map<string, string>(),
    new Map<string, string>(),
  ];
  private n = 0;

  pair(fullTexts: string[], shadowTexts: string[]): boolean {
    const fresh = (texts: string[], known: Map<string, string>): string[] => [
      ...new Set(texts.flatMap((t) => t.match(UUID) ?? []).filter((id) => !known.has(id))),
    ];
    const a = fresh(fullTexts, this.names[0]);
    const b = fresh(shadowTexts, this.names[1]);
    if (a.length !== b.length) return false;
    a.forEach((id, i) => {
      const name = `<created-${(this.n += 1)}>`;
      this.names[0].set(id, name);
      this.names[1].set(b[i] ?? '', name);
    });
    return true;
  }

  rename(text: string, side: 0 | 1): string {
    return text.replace(UUID, (id) => this.names[side].get(id) ?? id);
  }
}
const ids = new IdPairs();

/** An answer with what legitimately differs between the stores removed; searchsets as sets. */
function normalized(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalized);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'lastUpdated' || k === 'lastModified' || k === 'link') continue;
    out[k] = k === 'fullUrl' && typeof v === 'string' ? v.replace(/^.*\/fhir\/R4\//, '') : normalized(v);
  }
  if (
    out.resourceType === 'Bundle' &&
    (out.type === 'searchset' || out.type === 'history') &&
    Array.isArray(out.entry)
  )
    out.entry = sortedSet(out.entry);
  return out;
}

const sortedSet = (items: unknown[]): unknown[] =>
  [...new Map(items.map((i) => [JSON.stringify(i), i])).entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, i]) => i);

/** The pages of one search as one answer: statuses, page count, first total, matches and includes as sets. */
function comparable(answers: Answer[], side: 0 | 1): unknown {
  const bodies = answers.map((a) => ({
    status: a.status,
    body: a.text.startsWith('{') ? normalized(JSON.parse(ids.rename(a.text, side))) : a.text,
  }));
  if (bodies.length === 1) return bodies[0];
  const entries = bodies.flatMap((b) => ((b.body as Bundle).entry ?? []) as unknown[]);
  return {
    statuses: bodies.map((b) => b.status),
    total: (bodies[0]?.body as Bundle).total,
    entries: sortedSet(entries),
  };
}

const describeRequest = (req: TwinRequest): string => JSON.stringify(req);

describe('a restricted chart against generated requests (technician, no glass)', () => {
  // In this order: the probes and the refused writes come before the generated writes, whose
  // new records (some with the restricted patient's MRN) would otherwise answer the probes.
  it('answers a conditional lookup alike whether its probe matches a restricted record or not', async () => {
    const probes: Array<{ type: string; criteria: (v: string) => string; secret: string; prefix: boolean }> =
      [
        {
          type: 'Observation',
          criteria: (v) => `_id=${HIDDEN_OBS}&value-string=${v}`,
          secret: SECRETS.value,
          prefix: true,
        },
        {
          type: 'Observation',
          criteria: (v) => `_id=${PSY_OBS}&value-string=${v}`,
          secret: SECRETS.psy,
          prefix: true,
        },
        {
          type: 'Observation',
          criteria: (v) => `_id=${LATER_OBS}&value-string=${v}`,
          secret: SECRETS.later,
          prefix: true,
        },
        {
          type: 'Observation',
          criteria: (v) => `value-string:exact=${v}`,
          secret: SECRETS.laterChart,
          prefix: false,
        },
        {
          type: 'Patient',
          criteria: (v) => `_id=${HIDDEN_PATIENT}&family=${v}`,
          secret: SECRETS.family,
          prefix: true,
        },
        {
          type: 'Patient',
          criteria: (v) => `_id=${LATER_PATIENT}&family=${v}`,
          secret: SECRETS.laterFamily,
          prefix: true,
        },
        {
          type: 'Patient',
          criteria: (v) => `_id=${HIDDEN_PATIENT}&birthdate=${v}`,
          secret: '1961-04-03',
          prefix: false,
        },
        { type: 'Patient', criteria: (v) => `identifier=${SYS}|${v}`, secret: 'CONF-1', prefix: false },
      ];
    const probe = fc.tuple(
      fc.constantFrom(...probes),
      fc.nat(),
      fc.constantFrom('reference', 'if-none-exist'),
    );
    const ask = async (store: Store, type: string, criteria: string, how: string): Promise<Answer> => {
      if (how === 'if-none-exist') {
        const body =
          type === 'Patient'
            ? { resourceType: 'Patient' }
            : { resourceType: 'Observation', status: 'final', code: { text: 'probe' } };
        return store.call('tech', 'POST', `/fhir/R4/${type}`, body, { 'if-none-exist': criteria });
      }
      const reference = { reference: `${type}?${criteria}` };
      return store.call('tech', 'POST', '/fhir/R4', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { text: 'probe' },
              ...(type === 'Patient' ? { subject: reference } : { derivedFrom: [reference] }),
            },
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      });
    };
    // Sent to both stores, which must answer alike (and so stay alike for the test after this one).
    const both = async (type: string, criteria: string, how: string): Promise<Answer> => {
      const [a, b] = await Promise.all([ask(full, type, criteria, how), ask(shadow, type, criteria, how)]);
      const label = `${type}?${criteria} (${how}) -> ${a.status} ${a.text.slice(0, 300)}`;
      expect(a.status, label).toBeLessThan(500);
      expect(leaksIn(a), label).toEqual([]);
      expect(ids.pair([a.text], [b.text]), label).toBe(true);
      expect(comparable([a], 0), label).toEqual(comparable([b], 1));
      // What is left to compare between two probes: the status, and a refusal's text (which
      // names the reference it could not resolve: the probe's own text).
      return { status: a.status, text: a.status >= 400 ? a.text.split(criteria).join('<probe>') : '' };
    };
    await fc.assert(
      fc.asyncProperty(probe, async ([p, k, how]) => {
        // A prefix of the secret where the search matches by prefix, the whole of it otherwise;
        // against the same text with its last character changed.
        const matching = p.prefix ? p.secret.slice(0, 1 + (k % p.secret.length)) : p.secret;
        const other =
          p.prefix || !/\d$/.test(matching) ? `${matching.slice(0, -1)}z` : `${matching.slice(0, -1)}9`;
        const m = await both(p.type, p.criteria(matching), how);
        const o = await both(p.type, p.criteria(other), how);
        expect(m, `${p.type}?${p.criteria(matching)} (${how}) against ${p.criteria(other)}`).toEqual(o);
      }),
      { numRuns: PROBE_RUNS, seed: SEED, endOnFailure: true },
    );
  });

  it('refuses, without content and without a change, every request naming a restricted record', async () => {
    const hiddenTarget = fc.constantFrom(...HIDDEN_IDS).map((id) => ({ id, type: HIDDEN.get(id) ?? '' }));
    const direct: fc.Arbitrary<{ method: string; path: string; body?: unknown }> = fc.oneof(
      hiddenTarget.map(({ type, id }) => ({ method: 'GET', path: `/fhir/R4/${type}/${id}` })),
      fc.tuple(hiddenTarget, fc.integer({ min: 1, max: 3 })).map(([{ type, id }, v]) => ({
        method: 'GET',
        path: `/fhir/R4/${type}/${id}/_history/${v}`,
      })),
      hiddenTarget.map(({ type, id }) => ({ method: 'GET', path: `/fhir/R4/${type}/${id}/_history` })),
      fc
        .constantFrom(HIDDEN_PATIENT, LATER_PATIENT)
        .map((id) => ({ method: 'GET', path: `/fhir/R4/Patient/${id}/$everything` })),
      fc.tuple(hiddenTarget, fc.constantFrom('batch', 'transaction')).map(([{ type, id }, t]) => ({
        method: 'POST',
        path: '/fhir/R4',
        body: {
          resourceType: 'Bundle',
          type: t,
          entry: [{ request: { method: 'GET', url: `${type}/${id}` } }],
        },
      })),
      fc.tuple(hiddenTarget, fc.constantFrom('PUT', 'transaction', 'batch')).map(([{ type, id }, how]) => {
        // Valid, so that what refuses it is the access check, not the validator.
        const overwrite: Record<string, Record<string, unknown>> = {
          Patient: { name: [{ family: 'Overwritten' }] },
          Observation: { status: 'final', code: { text: 'overwritten' }, valueString: 'x' },
          Encounter: { status: 'cancelled', class: { code: 'AMB' } },
        };
        const resource = { resourceType: type, id, ...overwrite[type] };
        if (how === 'PUT') return { method: 'PUT', path: `/fhir/R4/${type}/${id}`, body: resource };
        const entry = [{ resource, request: { method: 'PUT', url: `${type}/${id}` } }];
        return { method: 'POST', path: '/fhir/R4', body: { resourceType: 'Bundle', type: how, entry } };
      }),
    );
    // Read as the system (which sees labelled records): the admin needs the glass too.
    const system = new FhirStore(full.db, cliContext());
    const versions = async (): Promise<string[]> =>
      Promise.all(HIDDEN_IDS.map(async (id) => JSON.stringify(await system.read(HIDDEN.get(id) ?? '', id))));
    const before = await versions();
    await fc.assert(
      fc.asyncProperty(direct, async (req) => {
        const answer = await full.call('tech', req.method, req.path, req.body);
        const label = `${req.method} ${req.path} ${JSON.stringify(req.body ?? '')} -> ${answer.status} ${answer.text.slice(0, 300)}`;
        expect([403, 404], label).toContain(answer.status === 200 ? entryStatus(answer) : answer.status);
        expect(leaksIn(answer), label).toEqual([]);
      }),
      { numRuns: DIRECT_RUNS, seed: SEED, endOnFailure: true },
    );
    expect(await versions()).toEqual(before);
  });

  it('answers every request as a store without the restricted records would, and returns none of them', async () => {
    // Reads the privacy officer is answered differently: the requests that reached a restricted record.
    let reached = 0;
    await fc.assert(
      fc.asyncProperty(twinRequest, async (req) => {
        const [a, b] = await Promise.all([perform(full, req), perform(shadow, req)]);
        for (const answer of [...a, ...b])
          expect(answer.status, `${describeRequest(req)} -> ${answer.text.slice(0, 400)}`).toBeLessThan(500);
        for (const answer of a) expect(leaksIn(answer), describeRequest(req)).toEqual([]);
        const paired = ids.pair(
          a.map((x) => x.text),
          b.map((x) => x.text),
        );
        expect(
          paired ? comparable(a, 0) : a.map((x) => x.text),
          `the technician's answer depends on the restricted records: ${describeRequest(req)}`,
        ).toEqual(paired ? comparable(b, 1) : b.map((x) => x.text));
        if (req.kind === 'search' || req.kind === 'get') {
          const seen = await perform(full, req, 'officer');
          if (JSON.stringify(comparable(seen, 0)) !== JSON.stringify(comparable(a, 0))) reached += 1;
        }
      }),
      { numRuns: TWIN_RUNS, seed: SEED, endOnFailure: true },
    );
    // A generator that never reaches a restricted record would prove nothing.
    expect(reached).toBeGreaterThanOrEqual(TWIN_RUNS / 8);
  });
});

/** The status of a one-entry batch or transaction answer's entry (a 200 bundle that refused inside). */
function entryStatus(answer: Answer): number {
  const entry = (JSON.parse(answer.text) as Bundle).entry?.[0];
  return Number.parseInt(entry?.response?.status ?? '200', 10);
}
