/**
 * Test helpers: put resources into a database the way the store does (a new version with its
 * index rows), and read the shared example data.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Observation, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/db.ts';
import { lockCurrentVersions, writeVersions } from '../fhir/unchecked-storage.ts';
import { sharedTestdata } from './shared-testdata.ts';

export interface StoreOptions {
  /** Confidentiality labels (codes) put on every resource's meta.security. */
  security?: string[];
  lastUpdated?: string;
}

/**
 * Stores resources as the store does (a new version each, the index rows), without the store's
 * access checks or audit: the search tests build their data with it.
 */
export async function storeResources(
  db: Queryable,
  resources: Resource[],
  options: StoreOptions = {},
): Promise<void> {
  const labelled = resources.map((r) =>
    options.security
      ? { ...r, meta: { ...r.meta, security: options.security.map((code) => ({ code })) } }
      : r,
  ) as Array<Resource & { id: string }>;
  const current = await lockCurrentVersions(
    db,
    labelled.map((r) => ({ type: r.resourceType, id: r.id })),
  );
  await writeVersions(
    db,
    labelled.map((resource) => ({
      resource,
      previousVersion: current.get(`${resource.resourceType}/${resource.id}`)?.version ?? 0,
      deleted: false,
    })),
    options.lastUpdated ? new Date(options.lastUpdated) : new Date(),
  );
}

export function exampleResources(): Resource[] {
  const dir = sharedTestdata('fhir-r4-examples');
  return readdirSync(dir)
    .filter((f) => /^[A-Z]\w+-.+\.json$/.test(f) && !f.startsWith('Bundle-'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Resource);
}

export function exampleResource(file: string): Resource {
  return JSON.parse(readFileSync(sharedTestdata('fhir-r4-examples', file), 'utf8')) as Resource;
}

/**
 * The resources of one Synthea patient bundle with `urn:uuid:` references resolved to
 * `Type/id` (as the store does); conditional references to practitioners are dropped.
 */
export function syntheaPatient(index = 0): Resource[] {
  const dir = sharedTestdata('synthea');
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
