/**
 * Test helpers: put resources into a database the way the store does (a fhir_resource row with
 * the full content plus its index rows), and read the shared example data.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Observation, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/db.ts';
import { sharedTestdataDir } from '../app/config.ts';
import { writeSearchRows } from '../fhir/search/write.ts';

export interface StoreOptions {
  security?: string[];
  lastUpdated?: string;
}

/** The compartment owner the store would record: the Patient itself or the referenced patient. */
export function patientOf(resource: Resource): string | null {
  if (resource.resourceType === 'Patient') return resource.id ?? null;
  const r = resource as { subject?: { reference?: string }; patient?: { reference?: string } };
  const ref = r.patient?.reference ?? r.subject?.reference;
  return ref?.startsWith('Patient/') ? ref.slice('Patient/'.length) : null;
}

export async function storeResources(
  db: Queryable,
  resources: Resource[],
  options: StoreOptions = {},
): Promise<void> {
  const lastUpdated = options.lastUpdated ?? new Date().toISOString();
  const stored = resources.map((r) => ({
    ...r,
    meta: { ...r.meta, versionId: '1', lastUpdated },
  })) as Resource[];
  await db.query(
    `INSERT INTO fhir_resource (resource_type, id, version_id, last_updated, patient_id, security, content)
     SELECT t, i, 1, $3::timestamptz, p, $5::text[], c::jsonb
     FROM unnest($1::text[], $2::text[], $4::text[], $6::text[]) AS u(t, i, p, c)
     ON CONFLICT (resource_type, id) DO UPDATE SET content = excluded.content, deleted = false,
       security = excluded.security, version_id = fhir_resource.version_id + 1, last_updated = excluded.last_updated`,
    [
      stored.map((r) => r.resourceType),
      stored.map((r) => r.id),
      lastUpdated,
      stored.map(patientOf),
      options.security ?? [],
      stored.map((r) => JSON.stringify(r)),
    ],
  );
  await writeSearchRows(
    db,
    stored.map((resource) => ({ resource, patientId: patientOf(resource) })),
  );
}

export function exampleResources(): Resource[] {
  const dir = join(sharedTestdataDir(), 'fhir-r4-examples');
  return readdirSync(dir)
    .filter((f) => /^[A-Z]\w+-.+\.json$/.test(f) && !f.startsWith('Bundle-'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Resource);
}

export function exampleResource(file: string): Resource {
  return JSON.parse(readFileSync(join(sharedTestdataDir(), 'fhir-r4-examples', file), 'utf8')) as Resource;
}

/**
 * The resources of one Synthea patient bundle with `urn:uuid:` references resolved to
 * `Type/id` (as the store does); conditional references to practitioners are dropped.
 */
export function syntheaPatient(index = 0): Resource[] {
  const dir = join(sharedTestdataDir(), 'synthea');
  const file = readdirSync(dir)
    .filter((f) => !f.startsWith('hospital') && !f.startsWith('practitioner'))
    .sort()[index];
  if (!file) throw new Error('no Synthea bundle');
  const bundle = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Bundle;
  const ids = new Map<string, string>();
  for (const e of bundle.entry ?? []) {
    if (e.fullUrl && e.resource?.id) ids.set(e.fullUrl, `${e.resource.resourceType}/${e.resource.id}`);
  }
  const text = JSON.stringify((bundle.entry ?? []).map((e) => e.resource)).replace(
    /"reference":"(urn:uuid:[^"]+)"/g,
    (whole, urn: string) => (ids.has(urn) ? `"reference":"${ids.get(urn)}"` : whole),
  );
  return JSON.parse(text) as Resource[];
}

const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });
const mmHg = (value: number) => ({
  value,
  unit: 'mmHg',
  system: 'http://unitsofmeasure.org',
  code: 'mm[Hg]',
});

/** A blood pressure panel (LOINC 85354-9) with its systolic and diastolic components. */
export function bloodPressure(id: string, systolic: number, diastolic: number): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: loinc('85354-9'),
    effectiveDateTime: '2026-03-01T10:00:00Z',
    component: [
      { code: loinc('8480-6'), valueQuantity: mmHg(systolic) },
      { code: loinc('8462-4'), valueQuantity: mmHg(diastolic) },
    ],
  };
}
