import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { XMLParser } from 'fast-xml-parser';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/index.ts';
import { FhirStore } from '../fhir/store.ts';
import { importFiles } from '../bulk/import.ts';
import { hasSharedTestdata, sharedTestdata } from '../testing/shared-testdata.ts';
import { openTestDb } from '../testing/test-db.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import type { Abstract } from './abstracts.ts';
import type { Candidate } from './casefinding.ts';
import { REGISTRY_CONTEXT } from './casefinding.ts';
import { exportPeriod, importDocument, parsePeriod } from './exchange.ts';
import type { FollowUpWorklist } from './follow-up.ts';
import { loadIcdO3 } from './icdo3.ts';
import { NAACCR_NAMESPACE, parseNaaccrXml } from './naaccr-xml.ts';
import { registerRegistryCommands } from './cli.ts';

let server: TestServer;
let patientId = '';

const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function create<T extends Resource>(resource: T): Promise<T & { id: string }> {
  return json(await server.call('admin', 'POST', `/fhir/R4/${resource.resourceType}`, resource));
}

/** A finished visit on `date` with one coded diagnosis. */
async function visit(date: string, code: string): Promise<{ encounter: string; condition: string }> {
  const encounter = await create({
    resourceType: 'Encounter',
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: `Patient/${patientId}` },
    period: { start: `${date}T09:00:00Z`, end: `${date}T10:00:00Z` },
  });
  const condition = await create({
    resourceType: 'Condition',
    subject: { reference: `Patient/${patientId}` },
    encounter: { reference: `Encounter/${encounter.id}` },
    code: { coding: [{ system: ICD10CM, code }] },
    onsetDateTime: `${date}T09:00:00Z`,
  });
  return { encounter: `Encounter/${encounter.id}`, condition: `Condition/${condition.id}` };
}

const queue = async (status?: string): Promise<Candidate[]> =>
  (
    await json<{ candidates: Candidate[] }>(
      await server.call(
        'cancer-registrar',
        'GET',
        `/registry/casefinding${status ? `?status=${status}` : ''}`,
      ),
    )
  ).candidates;

const abstractPath = (a: Abstract): string => `/registry/abstracts/${patientId}/${a.caseId}`;

beforeAll(async () => {
  server = await startTestServer();
  patientId = (
    await create({
      resourceType: 'Patient',
      gender: 'female',
      birthDate: '1961-04-15',
      name: [{ family: 'Registrova', given: ['Ada'] }],
    })
  ).id;
});
afterAll(async () => server?.stop());

describe('cancer registry', () => {
  let first: { encounter: string; condition: string };
  let abstract: Abstract;

  it('finds a reportable coded diagnosis and never a non-reportable one', async () => {
    first = await visit('2024-03-05', 'C50.911');
    await visit('2024-03-06', 'I10');
    const candidates = await queue();
    expect(candidates.map((c) => [c.patient, c.code, c.encounter, c.status])).toEqual([
      [`Patient/${patientId}`, 'C50.911', first.encounter, 'new'],
    ]);
    expect((await server.call('coder', 'GET', '/registry/casefinding')).status).toBe(403);
  });

  it('accessions a candidate as a case prefilled from the chart', async () => {
    const res = await server.call('cancer-registrar', 'POST', '/registry/casefinding/accession', {
      patient: `Patient/${patientId}`,
      source: first.condition,
    });
    expect(res.status).toBe(201);
    abstract = (await res.json()) as Abstract;
    expect(abstract.values).toMatchObject({
      patientIdNumber: '00000001',
      dateOfBirth: '19610415',
      sex: '2',
      dateOfDiagnosis: '20240305',
      primarySite: 'C509',
      laterality: '1',
      behaviorCodeIcdO3: '3',
      dateOfLastContact: '20240306',
      vitalStatus: '1',
    });
    expect(abstract.edits.map((e) => e.id)).toContain('REQ-classOfCase');
    expect(await queue()).toEqual([]);
  });

  it('matches a second visit for the same primary to the case instead of a new one', async () => {
    const second = await visit('2024-09-10', 'C50.911');
    const other = await visit('2024-09-10', 'C18.7');
    const candidates = await queue();
    // Both were found in one scan: compare without their order.
    const found = candidates.map((c) => [c.encounter, c.status, c.caseId]);
    expect(found.sort((a, b) => String(a[1]).localeCompare(String(b[1])))).toEqual([
      [second.encounter, 'matched', abstract.caseId],
      [other.encounter, 'new', null],
    ]);
    const list = await json<{ abstracts: unknown[] }>(
      await server.call('cancer-registrar', 'GET', '/registry/abstracts'),
    );
    expect(list.abstracts).toHaveLength(1);
    // The colon code turns out entered in error: it leaves the queue.
    const path = `/fhir/R4/${other.condition}`;
    const condition = await json<Resource>(await server.call('admin', 'GET', path));
    const verificationStatus = {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'entered-in-error' },
      ],
    };
    await json(await server.call('admin', 'PUT', path, { ...condition, verificationStatus }));
    expect((await queue()).map((c) => c.encounter)).toEqual([second.encounter]);
  });

  it('flags history codes for review, and a registrar can dismiss them', async () => {
    const history = await visit('2024-10-01', 'Z85.3');
    expect((await queue('review')).map((c) => c.source)).toEqual([history.condition]);
    const res = await server.call('cancer-registrar', 'POST', '/registry/casefinding/dismiss', {
      patient: `Patient/${patientId}`,
      source: history.condition,
    });
    expect(res.status).toBe(200);
    expect(await queue('review')).toEqual([]);
  });

  it('moves the date of last contact forward with a new encounter and lists the patient for follow-up', async () => {
    const followUp = await json<FollowUpWorklist>(
      await server.call('cancer-registrar', 'GET', '/registry/follow-up'),
    );
    const read = await json<Abstract>(await server.call('cancer-registrar', 'GET', abstractPath(abstract)));
    expect(read.values.dateOfLastContact).toBe('20241001');
    // Not analytic yet (no class of case): not on the worklist.
    expect(followUp.due).toEqual([]);
  });

  it('refuses to complete while an error-level edit fails, naming edit and item', async () => {
    const res = await server.call('cancer-registrar', 'POST', `${abstractPath(abstract)}/complete`, {
      values: { ...abstract.values, classOfCase: '14', behaviorCodeIcdO3: '2' },
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as OperationOutcome;
    const issues = (body.issue ?? []).map((i) => [i.details?.coding?.[0]?.code, i.expression]);
    expect(issues).toContainEqual(['XBEH-icd10cm', ['behaviorCodeIcdO3']]);
    expect(issues).toContainEqual(['REQ-summaryStage2018', ['summaryStage2018']]);
    const unchanged = await json<Abstract>(
      await server.call('cancer-registrar', 'GET', abstractPath(abstract)),
    );
    expect(unchanged.status).toBe('open');
    expect(unchanged.values.classOfCase).toBeUndefined();
  });

  it('completes an abstract whose edits pass, then reports it on the follow-up worklist and rate', async () => {
    const values = {
      ...abstract.values,
      dateOfLastContact: '20241001',
      classOfCase: '14',
      sequenceNumberCentral: '00',
      histologicTypeIcdO3: '8500',
      gradeClinical: '2',
      diagnosticConfirmation: '1',
      summaryStage2018: '1',
      rxDateSurgery: '20240320',
      rxSummSurgPrimSite: '22',
      rxSummChemo: '00',
      cancerStatus: '1',
    };
    const edits = await json<{ edits: unknown[] }>(
      await server.call('cancer-registrar', 'POST', `${abstractPath(abstract)}/edits`, { values }),
    );
    expect(edits.edits).toEqual([]);
    const done = await json<Abstract>(
      await server.call('cancer-registrar', 'POST', `${abstractPath(abstract)}/complete`, { values }),
    );
    expect(done.status).toBe('complete');
    const followUp = await json<FollowUpWorklist>(
      await server.call('cancer-registrar', 'GET', '/registry/follow-up'),
    );
    expect(followUp.due.map((d) => [d.patient, d.dateOfLastContact])).toEqual([
      [`Patient/${patientId}`, '20241001'],
    ]);
    expect(followUp.rate).toEqual({ eligible: 1, followed: 0, rate: 0 });
  });

  it('exports the period as NAACCR XML, and import into an empty store exports the same items', async () => {
    const res = await server.call(
      'cancer-registrar',
      'GET',
      '/registry/export?from=2024-01-01&to=2024-12-31',
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/xml');
    const xml = await res.text();
    const parse = (text: string) =>
      new XMLParser({
        ignoreAttributes: false,
        attributeNamePrefix: '',
        parseTagValue: false,
        isArray: (n) => ['Patient', 'Tumor', 'Item'].includes(n),
      }).parse(text) as {
        NaaccrData: Record<string, string> & {
          Patient: Array<{
            Item: Array<Record<string, string>>;
            Tumor: Array<{ Item: Array<Record<string, string>> }>;
          }>;
        };
      };
    const root = parse(xml).NaaccrData;
    expect(root.xmlns).toBe(NAACCR_NAMESPACE);
    expect(root.recordType).toBe('A');
    expect(root.baseDictionaryUri).toMatch(/^http:\/\/naaccr\.org\/naaccrxml\/naaccr-dictionary-\d+\.xml$/);
    const tumour = root.Patient[0]?.Tumor[0]?.Item ?? [];
    expect(tumour.find((i) => i.naaccrId === 'primarySite')).toMatchObject({
      naaccrNum: '400',
      '#text': 'C509',
    });
    expect(tumour.find((i) => i.naaccrId === 'sequenceNumberCentral')?.['#text']).toBe('00');
    const empty = await server.call(
      'cancer-registrar',
      'GET',
      '/registry/export?from=2023-01-01&to=2023-12-31',
    );
    expect(parse(await empty.text()).NaaccrData.Patient).toBeUndefined();
    expect(
      (await server.call('cancer-registrar', 'GET', '/registry/export?from=2024-13-01&to=2024-12-31')).status,
    ).toBe(400);

    const db = await openTestDb();
    try {
      const store = new FhirStore(db, REGISTRY_CONTEXT);
      const imported = await importDocument(store, xml);
      expect(imported).toMatchObject({ patients: 1, tumors: 1, createdPatients: 1, skippedItems: [] });
      const again = await exportPeriod(store, parsePeriod('2024-01-01', '2024-12-31'));
      const items = (text: string) => JSON.stringify(parse(text).NaaccrData.Patient);
      expect(items(again.xml)).toBe(items(xml));
      // Importing the same file twice changes nothing.
      await importDocument(store, xml);
      expect(items((await exportPeriod(store, parsePeriod('2024-01-01', '2024-12-31'))).xml)).toBe(
        items(xml),
      );
    } finally {
      await db.close();
    }
  });

  it('custodian registry export writes the period as a file, and import reads one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'registry-cli-'));
    const target = await openTestDb();
    const printed: string[] = [];
    const log = console.log;
    console.log = (line: string) => void printed.push(line);
    try {
      // The commands close the database they open: hand them views whose close does nothing.
      const keep = (db: Db) => async (): Promise<Db> =>
        Object.assign(Object.create(db) as Db, { close: async () => undefined });
      const run = async (db: Db, args: string[]): Promise<void> => {
        const program = new Command('custodian').exitOverride();
        registerRegistryCommands(program, keep(db), () => REGISTRY_CONTEXT);
        await program.parseAsync(['node', 'custodian', ...args]);
      };
      const out = join(dir, 'period.xml');
      await run(server.db, [
        'registry',
        'export',
        '--from',
        '2024-01-01',
        '--to',
        '2024-12-31',
        '--out',
        out,
      ]);
      const doc = parseNaaccrXml(await readFile(out, 'utf8'));
      expect(doc.patients.map((p) => [p.items.patientIdNumber, p.tumors.length])).toEqual([['00000001', 1]]);
      await run(target, ['registry', 'import', out]);
      expect(printed).toEqual([
        'Wrote ' + out + ': 1 patients, 1 tumours (0 abstracts of the period still open).',
        'Imported 1 patients (1 new), 1 tumours.',
      ]);
    } finally {
      console.log = log;
      await target.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers odd input with a 400 or 404, never a 5xx, and writes nothing', async () => {
    const xml = (item: string) =>
      `<NaaccrData xmlns="${NAACCR_NAMESPACE}" baseDictionaryUri="x" recordType="A"><Patient>${item}</Patient></NaaccrData>`;
    const before = await json<{ abstracts: unknown[] }>(
      await server.call('admin', 'GET', '/registry/abstracts'),
    );
    const calls: Array<[string, string, unknown, Record<string, string>?]> = [
      ['POST', '/registry/import', '<NaaccrData', { 'content-type': 'application/xml' }],
      ['POST', '/registry/import', xml('<Item>1</Item>'), { 'content-type': 'application/xml' }],
      [
        'POST',
        '/registry/import',
        xml('<Item naaccrId="patientIdNumber">&#0;</Item>'),
        { 'content-type': 'application/xml' },
      ],
      [
        'POST',
        '/registry/import',
        xml('<Item naaccrId="sex">2</Item>'),
        { 'content-type': 'application/xml' },
      ],
      ['POST', '/registry/import', { a: 1 }],
      ['PUT', abstractPath(abstract), { values: { sex: 2 } }],
      ['PUT', abstractPath(abstract), { values: { notAnItem: '1' } }],
      ['PUT', abstractPath(abstract), [1, 2]],
      ['PUT', `/registry/abstracts/${patientId}/no-such-case`, { values: {} }],
      ['POST', '/registry/casefinding/accession', { patient: 7, source: 'Condition/x' }],
      ['POST', '/registry/casefinding/accession', { patient: `Patient/${patientId}`, source: 'Patient/x' }],
      [
        'POST',
        '/registry/casefinding/dismiss',
        { patient: `Patient/${patientId}`, source: 'Condition/none' },
      ],
      ['GET', '/registry/casefinding?status=bogus', undefined],
      ['GET', '/registry/export/counts?from=2024-02-30&to=2024-12-31', undefined],
      ['GET', '/registry/export?from=2024-12-31&to=2024-01-01', undefined],
    ];
    for (const [method, path, body, headers] of calls) {
      const res = await server.call('admin', method, path, body, headers);
      expect([400, 404].includes(res.status), `${method} ${path} ${res.status}`).toBe(true);
    }
    const after = await json<{ abstracts: unknown[] }>(
      await server.call('admin', 'GET', '/registry/abstracts'),
    );
    expect(after.abstracts).toEqual(before.abstracts);
  });

  it.skipIf(!hasSharedTestdata)('finds cancers only once a Synthea visit is coded in ICD-10-CM', async () => {
    const report = await importFiles(
      new FhirStore(server.db, REGISTRY_CONTEXT),
      [
        'hospitalInformation1633536936158.json',
        'practitionerInformation1633536936158.json',
        'Bob965_Keeling57_3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b.json',
      ].map((f) => sharedTestdata('synthea', f)),
    );
    expect(report.failures).toEqual([]);
    const bob = 'Patient/3f6fd0bb-6cd3-eb3f-4401-cd38ace25f2b';
    // Synthea's clinical Conditions are SNOMED CT coded: not casefinding material.
    expect((await queue()).filter((c) => c.patient === bob)).toEqual([]);
    const encounters = await json<{ entry?: Array<{ resource: { id: string } }> }>(
      await server.call('coder', 'GET', `/fhir/R4/Encounter?patient=${bob}&_count=1`),
    );
    const encounter = `Encounter/${encounters.entry?.[0]?.resource.id ?? ''}`;
    for (const code of ['C34.90', 'J44.9'])
      await json(
        await server.call('coder', 'POST', '/fhir/R4/Condition', {
          resourceType: 'Condition',
          subject: { reference: bob },
          encounter: { reference: encounter },
          code: { coding: [{ system: ICD10CM, code }] },
        }),
      );
    expect(
      (await queue()).filter((c) => c.patient === bob).map((c) => [c.code, c.encounter, c.status]),
    ).toEqual([['C34.90', encounter, 'new']]);
  });

  it('checks site and histology against the ICD-O-3 lists once a site loads them', async () => {
    await loadIcdO3(server.db, 'site', 'C50.9\tBreast, NOS');
    await loadIcdO3(server.db, 'histology', '8500/3\tInfiltrating duct carcinoma');
    const path = `${abstractPath(abstract)}/edits`;
    const read = await json<Abstract>(await server.call('cancer-registrar', 'GET', abstractPath(abstract)));
    const edits = async (values: Record<string, string>): Promise<string[]> =>
      (
        await json<{ edits: Array<{ id: string }> }>(
          await server.call('cancer-registrar', 'POST', path, { values }),
        )
      ).edits.map((e) => e.id);
    expect(await edits(read.values)).toEqual([]);
    expect(await edits({ ...read.values, primarySite: 'C508', histologicTypeIcdO3: '8501' })).toEqual([
      'ICDO3-site',
      'ICDO3-histology',
    ]);
  });
});
