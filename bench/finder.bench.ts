import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Patient } from '@medplum/fhirtypes';
import { findPatients } from '../src/chart/patient-finder.ts';
import { cliContext } from '../src/cli/context.ts';
import { openDb } from '../src/db/index.ts';
import { generatePatients } from '../src/demo/index.ts';
import { writeVersions, type VersionWrite } from '../src/fhir/unchecked-storage.ts';
import { timeEach, type Timing } from './stats.ts';

export interface FinderBenchResult {
  dialect: string;
  patients: number;
  /** Typed "Given Family", every other one with a letter dropped. */
  search: Timing;
  foundSomething: number;
}

/**
 * The patient finder (chart search box) over `patients` synthetic patients on PGlite on disk:
 * the names of every 97th patient typed as a technician would, half of them with a typo.
 */
export async function runFinderBench(options: {
  patients: number;
  log: (s: string) => void;
}): Promise<FinderBenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'custodian-finder-bench-'));
  const db = await openDb({ dataDir });
  const typed: string[] = [];
  let batch: VersionWrite[] = [];
  let n = 0;
  options.log(`[finder] loading ${options.patients} patients ...`);
  for (const demo of generatePatients({
    patients: options.patients,
    seed: 11,
    duplicateRate: 0.05,
    lite: true,
  })) {
    const patient = demo.bundle.entry?.find((e) => e.resource?.resourceType === 'Patient')
      ?.resource as Patient;
    const name = patient.name?.[0];
    if (n % 97 === 0 && name?.family && name.given?.[0]) typed.push(`${name.given[0]} ${name.family}`);
    batch.push({ resource: { ...patient, id: `finder-${n}` }, previousVersion: 0, deleted: false });
    if (batch.length >= 2000) {
      const writes = batch;
      await db.transaction((tx) => writeVersions(tx, writes));
      batch = [];
    }
    n += 1;
  }
  const rest = batch;
  await db.transaction((tx) => writeVersions(tx, rest));
  await db.query('ANALYZE');
  const dropLetter = (s: string, k: number) => {
    const at = 2 + (k % Math.max(1, s.length - 3));
    return s.slice(0, at) + s.slice(at + 1);
  };
  const queries = typed.slice(0, 300).map((s, k) => (k % 2 ? dropLetter(s, k) : s));
  const ctx = cliContext();
  await timeEach(20, (k) => findPatients(db, ctx, { text: queries[k] ?? '' }));
  let foundSomething = 0;
  const search = await timeEach(queries.length, async (k) => {
    const found = await findPatients(db, ctx, { text: queries[k] ?? '' });
    if (found.total > 0) foundSomething += 1;
  });
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { dialect: 'pglite', patients: options.patients, search, foundSomething };
}
