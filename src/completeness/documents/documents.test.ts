import type { AuditEvent, Bundle, DocumentReference, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChart, createPractitioner, NOTES, type Chart } from '../../testing/chart-fixtures.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { evaluateChangedCharts } from '../watcher.ts';

let server: TestServer;
let author: string;
let chart: Chart;
let other: Chart;

const MAX = 64 * 1024;
const DAY = 86_400_000;

/** Small real files of each accepted kind. */
const FILES = {
  pdf: Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n'),
  png: Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'base64',
  ),
  jpeg: Buffer.from([
    0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xd9,
  ]),
  tiff: Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0, 1, 0, 0, 1, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]),
};

beforeAll(async () => {
  server = await startTestServer({ config: { maxDocumentBytes: MAX } });
  author = await createPractitioner(server, 'Signer', 'provider-user');
  const now = Date.now();
  chart = await createChart(server, {
    admitted: new Date(now - 4 * DAY).toISOString(),
    discharged: new Date(now - 2 * DAY).toISOString(),
    attending: author,
    notes: [NOTES.historyAndPhysical],
  });
  other = await createChart(server, {
    admitted: new Date(now - 9 * DAY).toISOString(),
    discharged: new Date(now - 8 * DAY).toISOString(),
    attending: author,
    notes: [NOTES.historyAndPhysical, NOTES.dischargeSummary],
  });
  await evaluateChangedCharts(server.db);
});
afterAll(async () => server?.stop());

async function upload(
  file: Buffer,
  name: string,
  mime: string,
  fields: Record<string, string> = {},
  role: 'him-technician' | 'auditor' = 'him-technician',
): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', new Blob([new Uint8Array(file)], { type: mime }), name);
  return fetch(`${server.url}/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await server.token(role)}` },
    body: form,
  });
}

async function count(type: string): Promise<number> {
  const res = await server.call('admin', 'GET', `/fhir/R4/${type}?_summary=count`);
  return ((await res.json()) as Bundle).total ?? -1;
}

async function read<T>(path: string): Promise<T> {
  return (await (await server.call('admin', 'GET', path)).json()) as T;
}

const deficiencies = async (encounterId: string, rule: string): Promise<Task[]> =>
  (
    (await read<Bundle>(`/fhir/R4/Task?code=urn:custodian:task|deficiency&focus=Encounter/${encounterId}`))
      .entry ?? []
  )
    .map((e) => e.resource as Task)
    .filter((t) => t.reasonCode?.coding?.[0]?.code === rule);

describe('POST /documents', () => {
  it.each([
    ['pdf', 'scan.pdf', 'application/pdf'],
    ['png', 'page.png', 'image/png'],
    ['jpeg', 'photo.jpg', 'image/jpeg'],
    ['tiff', 'fax.tif', 'image/tiff'],
  ] as const)(
    'stores a %s as Binary + DocumentReference, its bytes served back unchanged',
    async (kind, name, mime) => {
      const res = await upload(FILES[kind], name, mime, {
        patient: `Patient/${chart.patientId}`,
        encounter: `Encounter/${chart.encounterId}`,
        type: 'http://loinc.org|34133-9',
      });
      expect(res.status).toBe(201);
      const { documentReference } = (await res.json()) as { documentReference: string };
      expect(documentReference).toMatch(/^DocumentReference\/[A-Za-z0-9-]+$/);
      const doc = await read<DocumentReference>(`/fhir/R4/${documentReference}`);
      expect(doc.subject?.reference).toBe(`Patient/${chart.patientId}`);
      expect(doc.context?.encounter?.[0]?.reference).toBe(`Encounter/${chart.encounterId}`);
      expect(doc.content[0]?.attachment).toMatchObject({
        contentType: mime,
        size: FILES[kind].length,
        title: name,
      });
      expect(doc.content[0]?.attachment.url).toMatch(/^Binary\//);
      const bytes = await server.call(
        'him-technician',
        'GET',
        `/documents/${documentReference.split('/')[1]}/content`,
      );
      expect(bytes.headers.get('content-type')).toBe(mime);
      expect(Buffer.from(await bytes.arrayBuffer()).equals(FILES[kind])).toBe(true);
    },
  );

  it('refuses a mislabelled file (a PNG sent as a PDF), an unknown kind, and an oversized file, storing nothing', async () => {
    const before = [await count('DocumentReference'), await count('Binary')];
    const mislabelled = await upload(FILES.png, 'scan.pdf', 'application/pdf', {
      patient: `Patient/${chart.patientId}`,
    });
    expect(mislabelled.status).toBe(415);
    const outcome = (await mislabelled.json()) as {
      resourceType: string;
      issue: Array<{ diagnostics?: string }>;
    };
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0]?.diagnostics).toMatch(/image\/png.*mislabelled/);
    const renamed = await upload(FILES.png, 'scan.pdf', 'application/octet-stream');
    expect(renamed.status).toBe(415);
    const text = await upload(Buffer.from('just some text, not a document'), 'note.pdf', 'application/pdf');
    expect(text.status).toBe(415);
    const big = Buffer.concat([FILES.pdf, Buffer.alloc(MAX)]);
    const oversized = await upload(big, 'big.pdf', 'application/pdf', {
      patient: `Patient/${chart.patientId}`,
    });
    expect(oversized.status).toBe(413);
    expect(((await oversized.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    const json = await server.call('him-technician', 'POST', '/documents', { file: 'x' });
    expect(json.status).toBe(415);
    expect((await upload(FILES.pdf, 'a.pdf', 'application/pdf', {}, 'auditor')).status).toBe(403);
    expect([await count('DocumentReference'), await count('Binary')]).toEqual(before);
  });

  it('a discharge summary uploaded to the encounter closes its deficiency once signed by its author', async () => {
    expect((await deficiencies(chart.encounterId, 'discharge-summary')).map((t) => t.status)).toEqual([
      'requested',
    ]);
    const res = await upload(FILES.pdf, 'ds.pdf', 'application/pdf', {
      patient: `Patient/${chart.patientId}`,
      encounter: `Encounter/${chart.encounterId}`,
      type: 'http://loinc.org|18842-5',
      author: `Practitioner/${author}`,
    });
    const id = ((await res.json()) as { documentReference: string }).documentReference.split('/')[1]!;
    await evaluateChangedCharts(server.db);
    expect((await deficiencies(chart.encounterId, 'discharge-summary')).map((t) => t.status)).toEqual([
      'completed',
    ]);
    const unsigned = (await deficiencies(chart.encounterId, 'note-signed')).filter(
      (t) => t.input?.[0]?.valueReference?.reference === `DocumentReference/${id}`,
    );
    expect(unsigned.map((t) => t.status)).toEqual(['requested']);
    expect((await server.call('him-technician', 'POST', `/documents/${id}/sign`)).status).toBe(403);
    const signed = await server.call('provider', 'POST', `/documents/${id}/sign`);
    expect(signed.status).toBe(200);
    expect(((await signed.json()) as DocumentReference).authenticator?.reference).toBe(
      `Practitioner/${author}`,
    );
    const after = (await deficiencies(chart.encounterId, 'note-signed')).filter(
      (t) => t.input?.[0]?.valueReference?.reference === `DocumentReference/${id}`,
    );
    expect(after.map((t) => t.status)).toEqual(['completed']);
    expect((await server.call('provider', 'POST', `/documents/${id}/sign`)).status).toBe(409);
  });
});

describe('indexing queue and re-filing', () => {
  it('an unfiled upload waits in the queue until it is filed to a patient and encounter', async () => {
    const res = await upload(FILES.tiff, 'unknown-fax.tif', 'image/tiff');
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { documentReference: string }).documentReference.split('/')[1]!;
    const queue = (await (await server.call('him-technician', 'GET', '/documents/queue')).json()) as {
      documents: Array<{ id: string; title: string }>;
    };
    expect(queue.documents.map((d) => d.id)).toContain(id);
    const filed = await server.call('him-technician', 'POST', `/documents/${id}/file`, {
      patient: `Patient/${other.patientId}`,
      encounter: `Encounter/${chart.encounterId}`,
    });
    expect(filed.status).toBe(400);
    const ok = await server.call('him-technician', 'POST', `/documents/${id}/file`, {
      patient: `Patient/${other.patientId}`,
      encounter: `Encounter/${other.encounterId}`,
      type: 'http://loinc.org|34133-9',
    });
    expect(ok.status).toBe(200);
    const after = (await (await server.call('him-technician', 'GET', '/documents/queue')).json()) as {
      documents: Array<{ id: string }>;
    };
    expect(after.documents.map((d) => d.id)).not.toContain(id);
  });

  it('re-filing a misfiled discharge summary needs a reason, moves the deficiency, keeps the old location in history and audits both', async () => {
    const docs = await read<Bundle>(
      `/fhir/R4/DocumentReference?encounter=Encounter/${other.encounterId}&type=http://loinc.org|18842-5`,
    );
    const doc = docs.entry?.[0]?.resource as DocumentReference & { id: string };
    const path = `/documents/${doc.id}/file`;
    const to = { patient: `Patient/${chart.patientId}`, encounter: `Encounter/${chart.encounterId}` };
    expect((await server.call('him-technician', 'POST', path, to)).status).toBe(400);
    const moved = await server.call('him-technician', 'POST', path, {
      ...to,
      reason: 'Filed to the wrong patient',
    });
    expect(moved.status).toBe(200);
    expect(((await moved.json()) as DocumentReference).subject?.reference).toBe(`Patient/${chart.patientId}`);
    // The chart it left lacks its discharge summary again.
    expect((await deficiencies(other.encounterId, 'discharge-summary')).map((t) => t.status)).toEqual([
      'requested',
    ]);
    const history = await read<Bundle>(`/fhir/R4/DocumentReference/${doc.id}/_history`);
    const subjects = (history.entry ?? []).map((e) => (e.resource as DocumentReference).subject?.reference);
    expect(subjects).toEqual([`Patient/${chart.patientId}`, `Patient/${other.patientId}`]);
    const audits = await read<Bundle>(`/fhir/R4/AuditEvent?entity=DocumentReference/${doc.id}&_count=50`);
    const refile = (audits.entry ?? [])
      .map((e) => e.resource as AuditEvent)
      .find((a) => /^re-filed from/.test(a.outcomeDesc ?? ''));
    expect(refile?.outcomeDesc).toBe(
      `re-filed from Patient/${other.patientId} Encounter/${other.encounterId} to Patient/${chart.patientId} Encounter/${chart.encounterId}: Filed to the wrong patient`,
    );
    expect(refile?.agent?.[0]?.who?.display ?? JSON.stringify(refile?.agent)).toContain(
      'him-technician-user',
    );
  });
});
