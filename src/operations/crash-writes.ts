import { connect } from 'node:net';
import type { Bundle, BundleEntry, Encounter, Parameters, Patient } from '@medplum/fhirtypes';

/**
 * The writes of the crash test (issue #23 item 2), each kind as a client would make it, and the
 * checks that the restarted server still has every acknowledged one, intact: creates, updates,
 * 3-entry transactions, MPI merges (`Patient/$merge`), HL7 v2 ADT^A04 messages over the server's
 * MLLP listener, coding saves (`PUT /coding/encounters/:id/codes`), and reads (their audit
 * records). Used by crash-run.ts.
 */

/** The server as the clients see it: the HTTP base, the administrator's token, the MLLP port. */
export interface ServerEndpoint {
  url: string;
  token: string;
  mllpPort?: number | undefined;
}

/** Each transaction's entries carry this identifier: all of a bundle or none must be found. */
const BUNDLE_SYSTEM = 'urn:custodian:crash-run:bundle';
const BUNDLE_SIZE = 3;
/** The records a merge step makes: the merged-away one, its encounter, the survivor. */
const MERGE_SYSTEM = 'urn:custodian:crash-run:merge';
/** ICD-10-CM codes the coding saves choose from (no code set need be loaded to save them). */
const DIAGNOSES = ['E11.9', 'I10', 'J45.909', 'E78.5', 'K21.9', 'N39.0'];

export const WRITE_KINDS = ['create', 'update', 'transaction', 'read', 'merge', 'hl7', 'code'] as const;
export type WriteKind = (typeof WRITE_KINDS)[number];

/** What the clients were told: the ledger the restarted server is checked against. */
export interface Acknowledged {
  /** patient id → version id → family name written at that version ('' when not checked). */
  versions: Map<string, Map<string, string>>;
  /** Every transaction sent, answered or not: bundle key → answered 200. */
  bundles: Map<string, boolean>;
  /** patient id → reads answered 200 (each must have its access record). */
  reads: Map<string, number>;
  /** Created patients: the ones updated and read (a transaction's keep their identifier). */
  created: string[];
  /** Answered merges: the merged-away patient, the survivor, the merged-away one's encounter. */
  merges: Array<{ source: string; target: string; key: string }>;
  /** HL7 messages answered AA: the MRN and visit number they carried. */
  messages: Array<{ mrn: string; visit: string }>;
  /** Coding saves answered 200: encounter id → the diagnosis codes saved. */
  codes: Map<string, string[]>;
  /** Acknowledged operations per kind (a transaction counts once, a merge once). */
  counts: Record<WriteKind, number>;
  /** Acknowledged resource versions (each transaction entry, each merge step's creates...). */
  writes: number;
}

export const emptyLedger = (): Acknowledged => ({
  versions: new Map(),
  bundles: new Map(),
  reads: new Map(),
  created: [],
  merges: [],
  messages: [],
  codes: new Map(),
  counts: { create: 0, update: 0, transaction: 0, read: 0, merge: 0, hl7: 0, code: 0 },
  writes: 0,
});

function call(server: ServerEndpoint, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/fhir+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function rememberVersion(ledger: Acknowledged, id: string, version: string, family: string): void {
  if (!id || !version) throw new Error(`acknowledged without id or version: ${id}/${version}`);
  const known = ledger.versions.get(id) ?? new Map<string, string>();
  known.set(version, family);
  ledger.versions.set(id, known);
  ledger.writes++;
}

const remember = (ledger: Acknowledged, p: Patient): void =>
  rememberVersion(ledger, p.id ?? '', p.meta?.versionId ?? '', p.name?.[0]?.family ?? '');

/** The ids of an answered transaction's entries, their Patient versions remembered. */
function rememberTransaction(ledger: Acknowledged, answer: Bundle): Map<string, string> {
  const ids = new Map<string, string>();
  for (const entry of answer.entry ?? []) {
    const loc = entry.response?.location ?? '';
    const m = /^(?:.*\/)?(\w+)\/([^/]+)\/_history\/([^/]+)$/.exec(loc);
    if (!m?.[1] || !m[2] || !m[3]) throw new Error(`transaction entry without a location: ${loc}`);
    if (m[1] === 'Patient') rememberVersion(ledger, m[2], m[3], '');
    else ledger.writes++;
    ids.set(m[1], m[2]);
  }
  return ids;
}

let serial = 0;
const nextName = (kind: string): string => `Crash${kind}${process.pid}x${String(++serial)}`;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;

const transaction = (entries: BundleEntry[]): Bundle => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: entries,
});

async function createPatient(server: ServerEndpoint, ledger: Acknowledged): Promise<void> {
  const res = await call(server, 'POST', '/fhir/R4/Patient', {
    resourceType: 'Patient',
    name: [{ family: nextName('Create') }],
  });
  if (res.status !== 201) return;
  const created = (await res.json()) as Patient;
  remember(ledger, created);
  ledger.created.push(created.id ?? '');
  ledger.counts.create++;
}

async function updatePatient(server: ServerEndpoint, ledger: Acknowledged, id: string): Promise<void> {
  const res = await call(server, 'PUT', `/fhir/R4/Patient/${id}`, {
    resourceType: 'Patient',
    id,
    name: [{ family: nextName('Update') }],
  });
  if (res.status !== 200) return;
  remember(ledger, (await res.json()) as Patient);
  ledger.counts.update++;
}

async function sendTransaction(server: ServerEndpoint, ledger: Acknowledged): Promise<void> {
  const key = nextName('Bundle');
  ledger.bundles.set(key, false);
  const res = await call(
    server,
    'POST',
    '/fhir/R4',
    transaction(
      Array.from({ length: BUNDLE_SIZE }, (_, i) => ({
        resource: {
          resourceType: 'Patient',
          identifier: [{ system: BUNDLE_SYSTEM, value: key }],
          name: [{ family: `${key}e${String(i)}` }],
        },
        request: { method: 'POST', url: 'Patient' },
      })),
    ),
  );
  if (res.status !== 200) return;
  ledger.bundles.set(key, true);
  rememberTransaction(ledger, (await res.json()) as Bundle);
  ledger.counts.transaction++;
}

async function readPatient(server: ServerEndpoint, ledger: Acknowledged, id: string): Promise<void> {
  const res = await call(server, 'GET', `/fhir/R4/Patient/${id}`);
  await res.arrayBuffer();
  if (res.status !== 200) return;
  ledger.reads.set(id, (ledger.reads.get(id) ?? 0) + 1);
  ledger.counts.read++;
}

/**
 * A merge as the duplicate worklist's reviewer makes it: a patient with an encounter (one
 * transaction) and a second patient, then `$merge` of the first into the second. These patients
 * are never in `created`, so no other step's update overwrites what the merge wrote.
 */
async function mergePatients(server: ServerEndpoint, ledger: Acknowledged): Promise<void> {
  const key = nextName('Merge');
  const first = await call(
    server,
    'POST',
    '/fhir/R4',
    transaction([
      {
        fullUrl: 'urn:uuid:0b6c3a55-1d7e-4c1a-9f3e-5a1c2b3d4e01',
        resource: {
          resourceType: 'Patient',
          identifier: [{ system: MERGE_SYSTEM, value: `${key}-source` }],
          name: [{ family: `${key}Source` }],
        },
        request: { method: 'POST', url: 'Patient' },
      },
      {
        resource: {
          resourceType: 'Encounter',
          status: 'finished',
          class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
          identifier: [{ system: MERGE_SYSTEM, value: `${key}-encounter` }],
          subject: { reference: 'urn:uuid:0b6c3a55-1d7e-4c1a-9f3e-5a1c2b3d4e01' },
        },
        request: { method: 'POST', url: 'Encounter' },
      },
    ]),
  );
  if (first.status !== 200) return;
  const source = rememberTransaction(ledger, (await first.json()) as Bundle).get('Patient') ?? '';
  const second = await call(server, 'POST', '/fhir/R4/Patient', {
    resourceType: 'Patient',
    identifier: [{ system: MERGE_SYSTEM, value: `${key}-target` }],
    name: [{ family: `${key}Target` }],
  });
  if (second.status !== 201) return;
  const target = (await second.json()) as Patient;
  remember(ledger, target);
  const merged = await call(server, 'POST', '/fhir/R4/Patient/$merge', {
    resourceType: 'Parameters',
    parameter: [
      { name: 'source-patient', valueReference: { reference: `Patient/${source}` } },
      { name: 'target-patient', valueReference: { reference: `Patient/${target.id ?? ''}` } },
      { name: 'reason', valueString: 'crash test' },
    ],
  } satisfies Parameters);
  await merged.arrayBuffer();
  if (merged.status !== 200) return;
  ledger.merges.push({ source, target: target.id ?? '', key });
  ledger.counts.merge++;
}

/**
 * One HL7 v2 message over MLLP on its own connection; resolves with the ACK's text. Waits as long
 * as an HTTP client of the run would (undici's five minutes): a slow answer is not a lost one.
 */
export function sendMllp(port: number, message: string, timeoutMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(new Error('no ACK in time')), timeoutMs);
    socket.on('connect', () =>
      socket.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(message), Buffer.from([0x1c, 0x0d])])),
    );
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf(0x1c);
      if (end === -1) return;
      clearTimeout(timer);
      socket.end();
      resolve(received.subarray(received.indexOf(0x0b) + 1, end).toString('utf8'));
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error('connection closed before an ACK'));
    });
  });
}

/** A registration (ADT^A04) of a new outpatient with an MRN and a visit number of its own. */
async function sendAdt(server: ServerEndpoint, ledger: Acknowledged): Promise<void> {
  if (!server.mllpPort) return;
  const key = nextName('Adt');
  const mrn = `${key}M`;
  const visit = `${key}V`;
  const pv1 = Array.from({ length: 45 }, () => '');
  pv1[0] = 'PV1';
  pv1[1] = '1';
  pv1[2] = 'O';
  pv1[19] = `${visit}^^^CRASH^VN`;
  pv1[44] = '20260101120000';
  const message = [
    `MSH|^~\\&|CRASHRUN|CRASH|CUSTODIAN|CRASH|20260101120000||ADT^A04^ADT_A01|${key}|P|2.5.1`,
    'EVN|A04|20260101120000',
    `PID|1||${mrn}^^^CRASH^MR||${key}^Ada||19800101|F`,
    pv1.join('|'),
  ].join('\r');
  const ack = await sendMllp(server.mllpPort, message);
  if (!/(^|\r)MSA\|AA\|/.test(ack)) return;
  ledger.messages.push({ mrn, visit });
  ledger.counts.hl7++;
}

/** A discharged visit (one transaction), then its coding saved as a coder saves it. */
async function saveCoding(server: ServerEndpoint, ledger: Acknowledged): Promise<void> {
  const key = nextName('Coded');
  const visit = await call(
    server,
    'POST',
    '/fhir/R4',
    transaction([
      {
        fullUrl: 'urn:uuid:6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a04',
        resource: {
          resourceType: 'Patient',
          name: [{ family: key }],
          birthDate: '1970-05-01',
          gender: 'female',
        },
        request: { method: 'POST', url: 'Patient' },
      },
      {
        resource: {
          resourceType: 'Encounter',
          status: 'finished',
          class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
          period: { start: '2025-11-03T09:00:00Z', end: '2025-11-03T10:00:00Z' },
          subject: { reference: 'urn:uuid:6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a04' },
        } satisfies Encounter,
        request: { method: 'POST', url: 'Encounter' },
      },
    ]),
  );
  if (visit.status !== 200) return;
  const encounter = rememberTransaction(ledger, (await visit.json()) as Bundle).get('Encounter') ?? '';
  const codes = [...new Set([pick(DIAGNOSES), pick(DIAGNOSES)])];
  const saved = await call(server, 'PUT', `/coding/encounters/${encounter}/codes`, {
    diagnoses: codes.map((code, i) => ({ code, principal: i === 0 })),
    procedures: [],
  });
  await saved.arrayBuffer();
  if (saved.status !== 200) return;
  ledger.codes.set(encounter, codes);
  ledger.counts.code++;
}

/** One writer's step of the given kind (a kind needing a created patient makes one first). */
export async function step(server: ServerEndpoint, ledger: Acknowledged, kind: WriteKind): Promise<void> {
  const someId = ledger.created.length > 0 ? pick(ledger.created) : undefined;
  if (kind === 'create' || ((kind === 'update' || kind === 'read') && !someId))
    return createPatient(server, ledger);
  if (kind === 'update') return updatePatient(server, ledger, someId ?? '');
  if (kind === 'read') return readPatient(server, ledger, someId ?? '');
  if (kind === 'transaction') return sendTransaction(server, ledger);
  if (kind === 'merge') return mergePatients(server, ledger);
  if (kind === 'hl7') return sendAdt(server, ledger);
  return saveCoding(server, ledger);
}

async function countOf(server: ServerEndpoint, query: string): Promise<number> {
  const res = await call(server, 'GET', `/fhir/R4/${query}&_summary=count`);
  return ((await res.json()) as Bundle).total ?? -1;
}

async function readJson<T>(server: ServerEndpoint, path: string): Promise<{ status: number; body: T }> {
  const res = await call(server, 'GET', path);
  return { status: res.status, body: (await res.json()) as T };
}

async function checkVersions(
  server: ServerEndpoint,
  ledger: Acknowledged,
  problems: string[],
): Promise<void> {
  for (const [id, versions] of ledger.versions) {
    const now = await readJson<Patient>(server, `/fhir/R4/Patient/${id}`);
    if (now.status !== 200) {
      problems.push(`Patient/${id}: ${now.status} after restart`);
      continue;
    }
    const current = Number(now.body.meta?.versionId);
    for (const [version, family] of versions) {
      if (current < Number(version))
        problems.push(`Patient/${id}: version ${current} < acknowledged ${version}`);
      const old = await readJson<Patient>(server, `/fhir/R4/Patient/${id}/_history/${version}`);
      if (old.status !== 200 || (family && old.body.name?.[0]?.family !== family))
        problems.push(`Patient/${id}/_history/${version}: ${old.status}, not as written`);
    }
  }
}

async function checkTransactions(
  server: ServerEndpoint,
  ledger: Acknowledged,
  problems: string[],
): Promise<void> {
  for (const [key, answered] of ledger.bundles) {
    const total = await countOf(
      server,
      `Patient?identifier=${encodeURIComponent(`${BUNDLE_SYSTEM}|${key}`)}`,
    );
    if (answered ? total !== BUNDLE_SIZE : total !== 0 && total !== BUNDLE_SIZE)
      problems.push(
        `transaction ${key} (${answered ? 'answered' : 'unanswered'}): ${total} of ${BUNDLE_SIZE} entries`,
      );
  }
}

/** The merged-away patient retired and linked to the survivor; the survivor has its identifier and encounter. */
async function checkMerges(server: ServerEndpoint, ledger: Acknowledged, problems: string[]): Promise<void> {
  for (const { source, target, key } of ledger.merges) {
    const gone = await readJson<Patient>(server, `/fhir/R4/Patient/${source}`);
    const linked = gone.body.link?.some(
      (l) => l.type === 'replaced-by' && l.other.reference === `Patient/${target}`,
    );
    if (gone.status !== 200 || gone.body.active !== false || !linked)
      problems.push(`merge ${key}: Patient/${source} not retired into Patient/${target}`);
    const survivor = await readJson<Patient>(server, `/fhir/R4/Patient/${target}`);
    if (!survivor.body.identifier?.some((i) => i.value === `${key}-source`))
      problems.push(`merge ${key}: survivor Patient/${target} lacks the merged identifier`);
    const encounters = await readJson<Bundle<Encounter>>(
      server,
      `/fhir/R4/Encounter?identifier=${encodeURIComponent(`${MERGE_SYSTEM}|${key}-encounter`)}`,
    );
    const subject = encounters.body.entry?.[0]?.resource?.subject?.reference;
    if (subject !== `Patient/${target}`)
      problems.push(`merge ${key}: encounter's subject is ${String(subject)}`);
  }
}

async function checkMessages(
  server: ServerEndpoint,
  ledger: Acknowledged,
  problems: string[],
): Promise<void> {
  for (const { mrn, visit } of ledger.messages) {
    const patients = await countOf(server, `Patient?identifier=${encodeURIComponent(mrn)}`);
    const encounters = await countOf(server, `Encounter?identifier=${encodeURIComponent(visit)}`);
    if (patients !== 1 || encounters !== 1)
      problems.push(
        `HL7 message ${mrn}: ${patients} patients, ${encounters} encounters (1 and 1 acknowledged)`,
      );
  }
}

async function checkCodes(server: ServerEndpoint, ledger: Acknowledged, problems: string[]): Promise<void> {
  for (const [encounter, codes] of ledger.codes) {
    const view = await readJson<{ codes?: { diagnoses: Array<{ code: string }> } }>(
      server,
      `/coding/encounters/${encounter}`,
    );
    const found = (view.body.codes?.diagnoses ?? []).map((d) => d.code).sort();
    if (view.status !== 200 || found.join() !== [...codes].sort().join())
      problems.push(
        `coding of Encounter/${encounter}: ${view.status} [${found.join()}], saved [${codes.join()}]`,
      );
  }
}

async function checkReads(server: ServerEndpoint, ledger: Acknowledged, problems: string[]): Promise<void> {
  for (const [id, reads] of ledger.reads) {
    const report = await readJson<{ lines?: Array<{ action: string; outcome: string }> }>(
      server,
      `/audit/access-report?patient=${id}`,
    );
    const onRecord = (report.body.lines ?? []).filter(
      (l) => l.action === 'read' && l.outcome === 'success',
    ).length;
    if (onRecord < reads) problems.push(`Patient/${id}: ${reads} answered reads, ${onRecord} on record`);
  }
}

/** What the restarted server got wrong; empty when everything acknowledged is there, intact. */
export async function checkAfterRestart(server: ServerEndpoint, ledger: Acknowledged): Promise<string[]> {
  const problems: string[] = [];
  await checkVersions(server, ledger, problems);
  await checkTransactions(server, ledger, problems);
  await checkMerges(server, ledger, problems);
  await checkMessages(server, ledger, problems);
  await checkCodes(server, ledger, problems);
  await checkReads(server, ledger, problems);
  const verify = (await (await call(server, 'GET', '/audit/verify')).json()) as { ok?: boolean };
  if (verify.ok !== true) problems.push(`audit chain: ${JSON.stringify(verify)}`);
  return problems;
}
