import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CapabilityStatement, Group, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../app/demo-loader.ts';
import { cliContext } from '../cli/context.ts';
import type { Db } from '../db/index.ts';
import { auditEventsAbout, flushAudit } from '../fhir/audit-trail.ts';
import { FhirStore } from '../fhir/store.ts';
import type { Role } from '../shared/index.ts';
import { openTestDb } from '../testing/test-db.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { createExportJob, deleteExpiredExports, jobFiles } from './export-jobs.ts';
import { exportRunnerOf } from './export-routes.ts';
import { exportToFolder } from './export-folder.ts';
import { parseExportRequest } from './export-request.ts';
import { importFiles } from './import.ts';

let server: TestServer;
let restricted: Patient;
let restrictedObservation: Observation;

const ASYNC = { prefer: 'respond-async', accept: 'application/fhir+json' };

/** The HL7 confidentiality label "restricted": roles without it must break the glass to see. */
const RESTRICTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' };

interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: Array<{ type: string; url: string; count: number }>;
  error: unknown[];
}

beforeAll(async () => {
  server = await startTestServer();
  await loadDemoData(new FhirStore(server.db, cliContext()), { patients: 3, seed: 7 });
  const create = async <T extends Resource>(resource: T): Promise<T> =>
    (await (await server.call('system', 'POST', `/fhir/R4/${resource.resourceType}`, resource)).json()) as T;
  restricted = await create<Patient>({
    resourceType: 'Patient',
    meta: { security: [RESTRICTED] },
    name: [{ family: 'Sealed', given: ['Record'] }],
  });
  restrictedObservation = await create<Observation>({
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'sealed result' },
    subject: { reference: `Patient/${restricted.id ?? ''}` },
  });
}, 120_000);

afterAll(async () => server?.stop());

/** Kicks off an export and waits for the server's runner to finish it; the status URL. */
async function exported(role: Role, path: string): Promise<string> {
  const res = await server.call(role, 'GET', path, undefined, ASYNC);
  expect(res.status, await res.clone().text()).toBe(202);
  const location = res.headers.get('content-location') ?? '';
  expect(location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/bulk\/export\/[0-9a-f-]{36}$/);
  await exportRunnerOf(server.app).settled(location.split('/').pop() ?? '');
  return location;
}

async function manifestOf(role: Role, location: string): Promise<Manifest> {
  const res = await server.call(role, 'GET', new URL(location).pathname);
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get('expires')).toBeTruthy();
  return (await res.json()) as Manifest;
}

async function lines(role: Role, url: string): Promise<Resource[]> {
  const res = await server.call(role, 'GET', new URL(url).pathname);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/fhir+ndjson');
  const text = await res.text();
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Resource);
}

/** A record without what the store stamps on each write. */
function content(resource: Resource): Resource {
  const { meta, ...rest } = resource;
  const kept = { ...meta };
  delete kept.versionId;
  delete kept.lastUpdated;
  return Object.keys(kept).length > 0 ? { ...rest, meta: kept } : rest;
}

describe('Bulk Data $export', () => {
  let db2: Db | undefined;
  afterAll(async () => db2?.close());

  it('exports every record the caller may see; `custodian import` reads the files back, record for record', async () => {
    const location = await exported('admin', '/fhir/R4/$export');
    const manifest = await manifestOf('admin', location);
    expect(manifest.requiresAccessToken).toBe(true);
    expect(manifest.request).toMatch(/\/fhir\/R4\/\$export$/);
    const types = manifest.output.map((o) => o.type);
    for (const type of ['Patient', 'Encounter', 'Condition', 'Observation', 'Organization'])
      expect(types).toContain(type);
    expect(types).not.toContain('AuditEvent');

    const folder = mkdtempSync(join(tmpdir(), 'custodian-export-'));
    const exportedRecords: Resource[] = [];
    for (const file of manifest.output) {
      const records = await lines('admin', file.url);
      expect(records).toHaveLength(file.count);
      expect(new Set(records.map((r) => r.resourceType))).toEqual(new Set([file.type]));
      // Every record the admin may see, as many as a search counts: nothing missing, nothing more.
      const count = (await (
        await server.call('admin', 'GET', `/fhir/R4/${file.type}?_summary=count`)
      ).json()) as { total: number };
      expect(records.length, file.type).toBe(count.total);
      exportedRecords.push(...records);
      writeFileSync(join(folder, `${file.type}.ndjson`), records.map((r) => JSON.stringify(r)).join('\n'));
    }
    // The restricted chart is not the admin's to see, so it is not in the admin's export.
    const ids = new Set(exportedRecords.map((r) => `${r.resourceType}/${r.id ?? ''}`));
    expect(ids.has(`Patient/${restricted.id ?? ''}`)).toBe(false);
    expect(ids.has(`Observation/${restrictedObservation.id ?? ''}`)).toBe(false);

    db2 = await openTestDb();
    const target = new FhirStore(db2, cliContext());
    const report = await importFiles(target, [folder]);
    expect(report.failures).toEqual([]);
    expect(report.resources).toBe(exportedRecords.length);
    // Resource by resource: the exported line is the stored record, and its imported copy
    // differs from it only in what the store stamps on a write.
    const source = new FhirStore(server.db, cliContext());
    for (const file of manifest.output) {
      const records = exportedRecords.filter((r) => r.resourceType === file.type);
      const ids = records.map((r) => r.id ?? '');
      const originals = new Map((await source.readMany(file.type, ids)).map((r) => [r.id, r]));
      const copies = new Map((await target.readMany(file.type, ids)).map((r) => [r.id, r]));
      for (const record of records) {
        const where = `${record.resourceType}/${record.id ?? ''}`;
        expect(record, where).toEqual(originals.get(record.id));
        expect(content(copies.get(record.id) as Resource), where).toEqual(content(record));
      }
    }
  }, 120_000);

  it('gives a system client the restricted chart too, and audits the export against each patient', async () => {
    const manifest = await manifestOf('system', await exported('system', '/fhir/R4/$export?_type=Patient'));
    expect(manifest.output.map((o) => o.type)).toEqual(['Patient']);
    const patients = (await Promise.all(manifest.output.map((o) => lines('system', o.url)))).flat();
    expect(patients.map((p) => p.id)).toContain(restricted.id);
    await flushAudit(server.db);
    const trail = await auditEventsAbout(server.db, restricted.id ?? '', 50);
    expect(trail.some((e) => e.entity?.some((x) => x.description === 'Patient?_export'))).toBe(true);
  });

  it('narrows by _type, _since and _typeFilter at the Patient level', async () => {
    const manifest = await manifestOf(
      'admin',
      await exported(
        'admin',
        `/fhir/R4/Patient/$export?_type=Patient,Observation,Organization&_since=2000-01-01T00:00:00Z` +
          `&_typeFilter=${encodeURIComponent('Observation?status=final')}`,
      ),
    );
    // Organizations belong to no patient: a patient-level export leaves them out.
    expect(manifest.output.map((o) => o.type).sort()).toEqual(['Observation', 'Patient']);
    const observations = (
      await Promise.all(
        manifest.output.filter((o) => o.type === 'Observation').map((o) => lines('admin', o.url)),
      )
    ).flat() as Observation[];
    expect(observations.length).toBeGreaterThan(0);
    expect(observations.every((o) => o.status === 'final')).toBe(true);

    const future = await manifestOf(
      'admin',
      await exported('admin', '/fhir/R4/Patient/$export?_since=2999-01-01'),
    );
    expect(future.output).toEqual([]);
  });

  it("exports a Group's members' charts only", async () => {
    const found = (await (await server.call('admin', 'GET', '/fhir/R4/Patient?_count=3')).json()) as {
      entry: Array<{ resource: Patient }>;
    };
    const members = found.entry.slice(0, 2).map((e) => e.resource.id ?? '');
    const group = (await (
      await server.call('admin', 'POST', '/fhir/R4/Group', {
        resourceType: 'Group',
        type: 'person',
        actual: true,
        member: members.map((id) => ({ entity: { reference: `Patient/${id}` } })),
      } satisfies Group)
    ).json()) as Group;
    const manifest = await manifestOf(
      'admin',
      await exported('admin', `/fhir/R4/Group/${group.id ?? ''}/$export?_type=Patient,Encounter`),
    );
    const records = (await Promise.all(manifest.output.map((o) => lines('admin', o.url)))).flat();
    const owners = new Set(
      records.map((r) =>
        r.resourceType === 'Patient'
          ? r.id
          : (r as { subject?: { reference?: string } }).subject?.reference?.split('/')[1],
      ),
    );
    expect([...owners].sort()).toEqual([...members].sort());
    expect(records.some((r) => r.resourceType === 'Encounter')).toBe(true);
  });

  it('serves the status and files to the client that asked only; DELETE cancels and deletes', async () => {
    const location = await exported('admin', '/fhir/R4/$export?_type=Patient');
    const path = new URL(location).pathname;
    const manifest = await manifestOf('admin', location);
    const file = new URL(manifest.output[0]?.url ?? '').pathname;
    expect((await server.call('him-director', 'GET', path)).status).toBe(403);
    expect((await server.call('him-director', 'GET', file)).status).toBe(403);
    expect((await server.call('him-director', 'DELETE', path)).status).toBe(403);

    expect((await server.call('admin', 'DELETE', path)).status).toBe(202);
    expect((await server.call('admin', 'GET', path)).status).toBe(404);
    expect((await server.call('admin', 'GET', file)).status).toBe(404);
  });

  it('answers 202 with X-Progress while a job waits or runs', async () => {
    const job = await createExportJob(
      server.db,
      { ...cliContext(), userId: await userIdOf('admin') },
      { level: 'system', typeFilters: {} },
      `${server.url}/fhir/R4/$export`,
    );
    const res = await server.call('admin', 'GET', `/bulk/export/${job.id}`);
    expect(res.status).toBe(202);
    expect(res.headers.get('x-progress')).toBe('queued');
    expect(res.headers.get('retry-after')).toBe('2');
  });

  it('writes nothing more for a job cancelled while it runs', async () => {
    const job = await createExportJob(
      server.db,
      { ...cliContext(), userId: await userIdOf('admin') },
      { level: 'system', types: ['Patient'], typeFilters: {} },
      `${server.url}/fhir/R4/$export?_type=Patient`,
    );
    expect((await server.call('admin', 'DELETE', `/bulk/export/${job.id}`)).status).toBe(202);
    // The runner meets the cancelled job: its first piece finds the job gone and stops there.
    exportRunnerOf(server.app).start(job);
    await exportRunnerOf(server.app).settled(job.id);
    expect((await server.call('admin', 'GET', `/bulk/export/${job.id}`)).status).toBe(404);
    expect(await jobFiles(server.db, job.id)).toEqual([]);
  });

  it('deletes output once it expires', async () => {
    const location = await exported('admin', '/fhir/R4/$export?_type=Organization');
    const file = new URL((await manifestOf('admin', location)).output[0]?.url ?? '').pathname;
    expect(await deleteExpiredExports(server.db, new Date(Date.now() + 25 * 3600_000))).toBeGreaterThan(0);
    expect((await server.call('admin', 'GET', new URL(location).pathname)).status).toBe(404);
    expect((await server.call('admin', 'GET', file)).status).toBe(404);
  });

  it('`custodian export` writes a folder of NDJSON with progress that `custodian import` reads back', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'custodian-export-cli-'));
    const source = new FhirStore(server.db, cliContext());
    const progress: number[] = [];
    const summary = await exportToFolder(
      source,
      parseExportRequest('patient', [['_type', 'Patient,Condition']]),
      folder,
      { onProgress: (p) => void progress.push(p.done / p.total) },
    );
    expect(summary.types.map((t) => t.type)).toEqual(['Patient', 'Condition']);
    expect(progress.at(-1)).toBe(1);
    expect(readdirSync(folder).sort()).toEqual(['Condition.ndjson', 'Patient.ndjson']);
    // The command line is a system user: the restricted chart is in its export.
    expect(readFileSync(join(folder, 'Patient.ndjson'), 'utf8')).toContain(restricted.id);

    const target = await openTestDb();
    try {
      const report = await importFiles(new FhirStore(target, cliContext()), [folder]);
      expect(report.failures).toEqual([]);
      expect(report.resources).toBe(summary.total);
      const copy = new FhirStore(target, cliContext());
      for (const { type } of summary.types) {
        const originals = (await source.findAll({ type })).matches;
        const copies = new Map((await copy.findAll({ type })).matches.map((r) => [r.id, r]));
        expect(copies.size).toBe(originals.length);
        for (const original of originals)
          expect(content(copies.get(original.id) as Resource)).toEqual(content(original));
      }
    } finally {
      await target.close();
    }
  }, 60_000);

  it('is announced in the CapabilityStatement at the system, Patient and Group levels', async () => {
    const cs = (await (await server.call(null, 'GET', '/fhir/R4/metadata')).json()) as CapabilityStatement;
    expect(cs.instantiates).toContain('http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data');
    const rest = cs.rest?.[0];
    expect(rest?.operation?.map((o) => o.name)).toContain('export');
    for (const type of ['Patient', 'Group'])
      expect(rest?.resource?.find((r) => r.type === type)?.operation?.map((o) => o.name)).toContain('export');
  });

  it('refuses what it cannot do, with an OperationOutcome, before any job is made', async () => {
    const kick = (role: Role, path: string, headers: Record<string, string> = ASYNC) =>
      server.call(role, 'GET', path, undefined, headers);
    expect((await kick('admin', '/fhir/R4/$export', { accept: 'application/fhir+json' })).status).toBe(400);
    expect((await kick('roi-specialist', '/fhir/R4/$export')).status).toBe(403);
    expect((await kick('coder', '/fhir/R4/Patient/$export')).status).toBe(403);
    expect((await kick('admin', '/fhir/R4/$export?_type=Nonsense')).status).toBe(400);
    expect((await kick('admin', '/fhir/R4/$export?_since=yesterday')).status).toBe(400);
    expect((await kick('admin', '/fhir/R4/$export?_outputFormat=text/csv')).status).toBe(400);
    expect((await kick('admin', '/fhir/R4/$export?patient=Patient/1')).status).toBe(400);
    expect(
      (await kick('admin', `/fhir/R4/$export?_typeFilter=${encodeURIComponent('Observation?bogus=1')}`))
        .status,
    ).toBe(400);
    expect((await kick('admin', '/fhir/R4/Group/no-such-group/$export')).status).toBe(404);
    const bad = await kick('admin', '/fhir/R4/$export?_type=Nonsense');
    expect(((await bad.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    const posted = await server.call(
      'admin',
      'POST',
      '/fhir/R4/$export',
      { resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'Organization' }] },
      ASYNC,
    );
    expect(posted.status).toBe(202);
    await exportRunnerOf(server.app).settled(posted.headers.get('content-location')?.split('/').pop() ?? '');
  });
});

async function userIdOf(role: Role): Promise<string> {
  const me = (await (await server.call(role, 'GET', '/auth/me')).json()) as { userId: string };
  return me.userId;
}
