import type { Binary, Bundle, DocumentReference, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushAudit } from './audit-trail.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/**
 * One restricted chart held against every path that reads, lists or counts patients or their
 * records: none may reveal it to a technician without the glass, and all show it after the
 * technician broke the glass. They all ask the one access filter (access-filter.ts).
 */

let server: TestServer;
const RESTRICTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' };
const PSY = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'PSY' };
const MRN = 'urn:test:confidentiality';
const FAMILY = 'Sequestered';
const SECRET = 'SECRET-VALUE-7731';
const GLUCOSE = { system: 'http://loinc.org', code: '2345-7' };

let patient: Patient;
let observation: Observation;
let laterPatient: Patient;
let laterObservation: Observation;
let scan: Binary;

const tech = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  server.call('him-technician', method, path, body, headers);
const json = async <T = Bundle>(res: Response): Promise<T> => (await res.json()) as T;

async function adminCreates<T extends Resource>(resource: T): Promise<T> {
  const res = await server.call('admin', 'POST', `/fhir/R4/${resource.resourceType}`, resource);
  expect(res.status).toBe(201);
  return json<T>(res);
}

async function adminLabels<T extends Resource>(resource: T, label: typeof RESTRICTED): Promise<T> {
  const body = { ...resource, meta: { security: [label] } };
  const res = await server.call(
    'admin',
    'PUT',
    `/fhir/R4/${resource.resourceType}/${resource.id ?? ''}`,
    body,
  );
  expect(res.status).toBe(200);
  return json<T>(res);
}

beforeAll(async () => {
  server = await startTestServer();
  patient = await adminCreates<Patient>({
    resourceType: 'Patient',
    meta: { security: [RESTRICTED] },
    identifier: [{ system: MRN, value: 'CONF-1' }],
    name: [{ family: FAMILY, given: ['Ada'] }],
    birthDate: '1961-04-03',
  });
  observation = await adminCreates<Observation>({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [GLUCOSE] },
    subject: { reference: `Patient/${patient.id ?? ''}` },
    valueString: SECRET,
  });
  // Written open, labelled afterwards: the earlier versions must follow the later label.
  laterPatient = await adminCreates<Patient>({ resourceType: 'Patient', name: [{ family: 'Latelabel' }] });
  laterPatient = await adminLabels(laterPatient, RESTRICTED);
  const openPatient = await adminCreates<Patient>({ resourceType: 'Patient', name: [{ family: 'Openly' }] });
  laterObservation = await adminCreates<Observation>({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [GLUCOSE] },
    subject: { reference: `Patient/${openPatient.id ?? ''}` },
    valueString: 'LATER-PSY-NOTE',
  });
  laterObservation = await adminLabels(laterObservation, PSY);
  // A scanned page of the restricted chart: a Binary, whose confidentiality is its document's.
  const document = await adminCreates<DocumentReference>({
    resourceType: 'DocumentReference',
    status: 'current',
    subject: { reference: `Patient/${patient.id ?? ''}` },
    content: [{ attachment: { contentType: 'text/plain', title: 'Scanned page' } }],
  });
  scan = await adminCreates<Binary>({
    resourceType: 'Binary',
    contentType: 'text/plain',
    securityContext: { reference: `DocumentReference/${document.id ?? ''}` },
    data: Buffer.from(SECRET).toString('base64'),
  });
});
afterAll(async () => server?.stop());

/** Every path, answered as the technician sees it: [name, whether it showed the chart]. */
async function everyPath(): Promise<Array<[string, boolean]>> {
  const pid = patient.id ?? '';
  const oid = observation.id ?? '';
  const scanData = scan.data ?? '';
  const shows = (body: string): boolean =>
    body.includes(pid) ||
    body.includes(FAMILY) ||
    body.includes(SECRET) ||
    body.includes(oid) ||
    body.includes(scanData);
  // Only the records an answer returns can reveal the chart: a Bundle's links echo the query,
  // and a refusal names the id the caller asked for.
  const returned = (resource: Resource | undefined): Resource[] => {
    if (!resource || resource.resourceType === 'OperationOutcome') return [];
    if (resource.resourceType !== 'Bundle') return [resource];
    return (resource.entry ?? []).flatMap((e) => returned(e.resource));
  };
  const answered = async (res: Response): Promise<boolean> => {
    expect(res.status).toBeLessThan(500);
    if (res.status !== 200) return false;
    return shows(JSON.stringify(returned((await res.json()) as Resource)));
  };
  const get = async (path: string): Promise<boolean> => answered(await tech('GET', path));
  const total = async (path: string): Promise<boolean> =>
    ((await json(await tech('GET', path))).total ?? 0) > 0;
  const later = async (path: string, marker: string): Promise<boolean> => {
    const res = await tech('GET', path);
    expect(res.status).toBeLessThan(500);
    return res.status === 200 && (await res.text()).includes(marker);
  };
  const batch = await tech('POST', '/fhir/R4', {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [
      { request: { method: 'GET', url: `Patient/${pid}` } },
      { request: { method: 'GET', url: `Observation?subject=Patient/${pid}` } },
    ],
  });
  const conditionalReference = async (criteria: string): Promise<boolean> => {
    const res = await tech('POST', '/fhir/R4', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'probe' },
            subject: { reference: criteria },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    expect(res.status).toBeLessThan(500);
    if (res.status !== 200) return false;
    // What the reference was resolved to is in the transaction's answer.
    return JSON.stringify((await json(res)).entry?.[0]?.resource ?? {}).includes(pid);
  };
  const ifNoneExist = async (): Promise<boolean> => {
    const res = await tech(
      'POST',
      '/fhir/R4/Patient',
      { resourceType: 'Patient', name: [{ family: 'Probe' }] },
      { 'if-none-exist': `identifier=${MRN}|CONF-1` },
    );
    expect(res.status).toBeLessThan(500);
    const body = await json<Patient>(res);
    return body.id === pid;
  };
  const finder = async (): Promise<boolean> => {
    const res = await tech('GET', `/chart/patients?q=${FAMILY}`);
    expect(res.status).toBe(200);
    return (await res.text()).includes(FAMILY);
  };
  return [
    ['read', await get(`/fhir/R4/Patient/${pid}`)],
    ['read of a record in the chart', await get(`/fhir/R4/Observation/${oid}`)],
    ['vread', await get(`/fhir/R4/Patient/${pid}/_history/1`)],
    ['instance history', await get(`/fhir/R4/Patient/${pid}/_history`)],
    ['type history', await get('/fhir/R4/Observation/_history')],
    ['search by name', await get(`/fhir/R4/Patient?family=${FAMILY}`)],
    ['search by identifier', await get(`/fhir/R4/Patient?identifier=${MRN}|CONF-1`)],
    ['count', await total(`/fhir/R4/Patient?family=${FAMILY}&_summary=count`)],
    ['search in the compartment', await get(`/fhir/R4/Observation?subject=Patient/${pid}`)],
    ['chain', await get(`/fhir/R4/Observation?subject:Patient.family=${FAMILY}`)],
    ['reverse chain', await get(`/fhir/R4/Patient?_has:Observation:subject:value-string=${SECRET}`)],
    [
      'include',
      await get(`/fhir/R4/Observation?code=${GLUCOSE.system}|${GLUCOSE.code}&_include=Observation:subject`),
    ],
    ['$everything', await get(`/fhir/R4/Patient/${pid}/$everything`)],
    ['read of a scanned page (Binary)', await get(`/fhir/R4/Binary/${scan.id ?? ''}`)],
    ['history of a Binary', await get(`/fhir/R4/Binary/${scan.id ?? ''}/_history`)],
    ['batch GET', await answered(batch)],
    ['conditional reference', await conditionalReference(`Patient?identifier=${MRN}|CONF-1`)],
    [
      'conditional reference probing a value',
      await conditionalReference(`Patient?_id=${pid}&birthdate=1961-04-03`),
    ],
    ['If-None-Exist', await ifNoneExist()],
    ['patient finder', await finder()],
    [
      'vread of a patient labelled later',
      await later(`/fhir/R4/Patient/${laterPatient.id ?? ''}/_history/1`, 'Latelabel'),
    ],
    ['system history of a record labelled later', await later('/fhir/R4/_history', 'LATER-PSY-NOTE')],
    ['type history of a patient labelled later', await later('/fhir/R4/Patient/_history', 'Latelabel')],
  ];
}

describe('a restricted chart on every path', () => {
  it('is revealed by none without the glass, and the probes are in its access report', async () => {
    const paths = await everyPath();
    expect(paths.filter(([, shown]) => shown).map(([name]) => name)).toEqual([]);
    await flushAudit(server.db);
    const report = await json<{ lines: Array<{ outcome: string; who: string; detail: string | null }> }>(
      await server.call('privacy-officer', 'GET', `/audit/access-report?patient=${patient.id ?? ''}`),
    );
    // The conditional lookups that only the restricted chart would have answered are on record.
    const probes = report.lines.filter(
      (l) =>
        l.who === 'him-technician-user' &&
        l.outcome === 'denied' &&
        /conditional lookup/.test(l.detail ?? ''),
    );
    expect(probes.length).toBe(3);
  });

  it('refuses a vread of any version alike, so how often the record changed is not told', async () => {
    // laterPatient has versions 1 and 2; version 3 does not exist.
    const statuses = [];
    for (const version of ['1', '2', '3', '99'])
      statuses.push(
        (await tech('GET', `/fhir/R4/Patient/${laterPatient.id ?? ''}/_history/${version}`)).status,
      );
    expect(statuses).toEqual([403, 403, 403, 403]);
  });

  it('is shown by every path once the technician broke the glass', async () => {
    for (const p of [patient, laterPatient]) {
      const granted = await tech(
        'POST',
        '/auth/break-glass',
        { patient: p.id, reason: 'Continuity of care: transfer from the ED' },
        { 'content-type': 'application/json' },
      );
      expect(granted.status).toBe(201);
    }
    const paths = await everyPath();
    // The PSY note belongs to an open patient: the glass for other patients does not open it.
    const expectedHidden = ['system history of a record labelled later'];
    expect(paths.filter(([name, shown]) => !shown && !expectedHidden.includes(name)).map(([n]) => n)).toEqual(
      [],
    );
    expect(paths.find(([name]) => name === expectedHidden[0])?.[1]).toBe(false);
  });
});
