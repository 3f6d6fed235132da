import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Observation, Patient } from '@medplum/fhirtypes';
import { exportToFolder, parseExportRequest } from '../src/bulk/index.ts';
import { cliContext } from '../src/cli/context.ts';
import { migrate, openDb, type Db } from '../src/db/index.ts';
import { FhirStore } from '../src/fhir/store.ts';
import { writeVersions, type VersionWrite } from '../src/fhir/unchecked-storage.ts';

/**
 * Bulk Data export memory: the same export (every Patient and Observation, NDJSON to a folder)
 * of a store at a tenth of the size and at full size, with the process's resident memory
 * sampled throughout. Paging by keyset keeps one page in memory, so the peak should not grow
 * with the store; a tenfold store with a tenfold peak would mean something holds it all. On a
 * PostgreSQL server the process's RSS is the exporter's alone; on embedded PGlite it also counts
 * the database's buffer cache (bounded by shared_buffers), so the JS heap is reported too.
 */
export interface ExportBenchStep {
  patients: number;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  ndjsonMb: number;
  rssBeforeMb: number;
  peakRssMb: number;
  /** Peak during the export less the resident memory before it. */
  growthMb: number;
  /** The JavaScript heap: what the exporter itself holds (RSS also counts PGlite's buffer cache). */
  heapBeforeMb: number;
  peakHeapMb: number;
  /** The heap after a full collection once the export is done: what it left behind. */
  heapAfterGcMb: number;
}

export interface ExportBenchResult {
  dialect: string;
  steps: ExportBenchStep[];
}

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Patients bench-x-<from>.. with one laboratory Observation each, written straight to storage. */
async function seed(db: Db, from: number, to: number): Promise<void> {
  const batch = 2000;
  for (let start = from; start < to; start += batch) {
    const writes: VersionWrite[] = [];
    for (let i = start; i < Math.min(to, start + batch); i++) {
      const patient: Patient & { id: string } = {
        resourceType: 'Patient',
        id: `bench-x-${i}`,
        identifier: [{ system: 'urn:custodian:mrn', value: `X${i}` }],
        name: [{ family: `Export${i % 997}`, given: ['Bench'] }],
        gender: i % 2 ? 'male' : 'female',
        birthDate: `19${String(30 + (i % 70)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`,
      };
      const observation: Observation & { id: string } = {
        resourceType: 'Observation',
        id: `bench-x-obs-${i}`,
        status: 'final',
        category: [
          {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
            ],
          },
        ],
        code: { coding: [{ system: 'http://loinc.org', code: '4548-4', display: 'Hemoglobin A1c' }] },
        subject: { reference: `Patient/${patient.id}` },
        effectiveDateTime: '2024-01-15T08:00:00Z',
        valueQuantity: {
          value: 5 + (i % 40) / 10,
          unit: '%',
          system: 'http://unitsofmeasure.org',
          code: '%',
        },
      };
      writes.push({ resource: patient, previousVersion: 0, deleted: false });
      writes.push({ resource: observation, previousVersion: 0, deleted: false });
    }
    await db.transaction((tx) => writeVersions(tx, writes));
  }
  await db.query('ANALYZE');
}

/** One export, resident memory sampled every 20 ms while it runs. */
async function measuredExport(db: Db, patients: number): Promise<ExportBenchStep> {
  const folder = mkdtempSync(join(tmpdir(), 'custodian-export-bench-'));
  global.gc?.();
  const before = process.memoryUsage();
  const rssBefore = before.rss;
  let peak = rssBefore;
  let peakHeap = before.heapUsed;
  const sample = (): void => {
    const now = process.memoryUsage();
    peak = Math.max(peak, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  };
  const sampler = setInterval(sample, 20);
  const started = performance.now();
  try {
    const summary = await exportToFolder(
      new FhirStore(db, cliContext()),
      parseExportRequest('system', [['_type', 'Patient,Observation']]),
      folder,
    );
    const seconds = (performance.now() - started) / 1000;
    sample();
    global.gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    const bytes = readdirSync(folder).reduce((n, f) => n + statSync(join(folder, f)).size, 0);
    return {
      patients,
      records: summary.total,
      seconds: Math.round(seconds * 10) / 10,
      recordsPerSecond: Math.round(summary.total / seconds),
      ndjsonMb: mb(bytes),
      rssBeforeMb: mb(rssBefore),
      peakRssMb: mb(peak),
      growthMb: mb(peak - rssBefore),
      heapBeforeMb: mb(before.heapUsed),
      peakHeapMb: mb(peakHeap),
      heapAfterGcMb: mb(heapAfter),
    };
  } finally {
    clearInterval(sampler);
    rmSync(folder, { recursive: true, force: true });
  }
}

export async function runExportBench(options: {
  patients: number;
  databaseUrl?: string | undefined;
  log: (s: string) => void;
}): Promise<ExportBenchResult> {
  const dataDir = options.databaseUrl ? undefined : mkdtempSync(join(tmpdir(), 'custodian-export-bench-db-'));
  const db = await openDb({ databaseUrl: options.databaseUrl, dataDir });
  try {
    await migrate(db);
    const steps: ExportBenchStep[] = [];
    let seeded = 0;
    for (const size of [Math.round(options.patients / 10), options.patients]) {
      options.log(`export bench: seeding ${size.toLocaleString('en-US')} patients (${db.dialect})`);
      await seed(db, seeded, size);
      seeded = size;
      const step = await measuredExport(db, size);
      options.log(`export bench: ${JSON.stringify(step)}`);
      steps.push(step);
    }
    return { dialect: db.dialect, steps };
  } finally {
    await db.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}
