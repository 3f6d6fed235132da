import type { Patient } from '@medplum/fhirtypes';
import { flushAudit } from '../src/fhir/audit-trail.ts';
import { cliContext } from '../src/cli/context.ts';
import { openDb } from '../src/db/index.ts';
import { generatePatients } from '../src/demo/index.ts';
import { FhirStore } from '../src/fhir/store.ts';
import { matchPatient, patientBlockKeys, standardPatient } from '../src/mpi/index.ts';
import { timeEach } from './stats.ts';

/**
 * Patient/$match at scale on a PostgreSQL server: demo patients (10% duplicates with typos) are
 * bulk-loaded with their MPI blocking keys (the resource rows and keys the store keeps; search
 * index rows are not needed by $match), then duplicates are matched one at a time.
 */
export async function runMatchBench(options: {
  databaseUrl: string;
  patients: number;
  log: (s: string) => void;
}): Promise<object> {
  const db = await openDb({ databaseUrl: options.databaseUrl });
  const probes: Patient[] = [];
  let batch: Patient[] = [];
  let loaded = 0;
  const t0 = performance.now();
  const flush = async (): Promise<void> => {
    const keys = batch.flatMap((p) =>
      patientBlockKeys(standardPatient(p)).map((key) => [p.id ?? '', key] as const),
    );
    await db.query(
      `INSERT INTO fhir_resource (resource_type, id, version_id, last_updated, patient_id, content)
       SELECT 'Patient', i, 1, now(), i, c::jsonb FROM unnest($1::text[], $2::text[]) AS x(i, c)`,
      [batch.map((p) => p.id), batch.map((p) => JSON.stringify(p))],
    );
    await db.query(
      `INSERT INTO mpi_block_key (patient_id, key) SELECT * FROM unnest($1::text[], $2::text[])`,
      [keys.map((k) => k[0]), keys.map((k) => k[1])],
    );
    loaded += batch.length;
    batch = [];
    if (loaded % 100_000 < 5000) options.log(`  ${loaded} patients loaded`);
  };
  for (const demo of generatePatients({
    patients: options.patients,
    seed: 7,
    duplicateRate: 0.1,
    lite: true,
  })) {
    const patient = demo.bundle.entry?.find((e) => e.resource?.resourceType === 'Patient')
      ?.resource as Patient;
    const record: Patient = { ...patient, id: `match-bench-${loaded + batch.length}` };
    batch.push(record);
    if (demo.isDuplicate && probes.length < 300 && loaded > options.patients / 2) probes.push(record);
    if (batch.length >= 5000) await flush();
  }
  await flush();
  await db.query('ANALYZE');
  const loadSeconds = (performance.now() - t0) / 1000;
  const store = new FhirStore(db, cliContext());
  const probe = (i: number): Patient => ({ ...(probes[i % probes.length] as Patient), id: undefined });
  for (let i = 0; i < 20; i++) await matchPatient(store, probe(i));
  let foundItself = 0;
  const timing = await timeEach(probes.length, async (i) => {
    const bundle = await matchPatient(store, probe(i));
    if ((bundle.entry ?? []).some((e) => e.resource?.id === probes[i]?.id)) foundItself += 1;
  });
  await flushAudit(db);
  await db.close();
  return {
    patients: loaded,
    loadSeconds: Math.round(loadSeconds),
    match: timing,
    probes: probes.length,
    foundItself,
  };
}
