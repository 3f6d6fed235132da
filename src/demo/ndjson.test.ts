import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePatients, writeNdjson } from './index.ts';
import { referencesIn, validationErrors } from '../testing/demo-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'custodian-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function readNdjson(file: string): Resource[] {
  return readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Resource);
}

describe('writeNdjson', () => {
  it('writes one file per resource type with real ids, resolved references and a truth file', async () => {
    const options = { patients: 40, seed: 13, duplicateRate: 0.5 };
    const progress: Array<[number, number]> = [];
    const summary = await writeNdjson(dir, options, (done, total) => progress.push([done, total]));
    const records = [...generatePatients(options)];

    expect(summary.patients).toBe(records.length);
    expect(summary.duplicates).toBe(records.filter((r) => r.isDuplicate).length);
    expect(progress.at(-1)).toEqual([40, 40]);
    const files = readdirSync(dir).sort();
    expect(files).toContain('truth.csv');
    for (const t of [
      'Patient',
      'Encounter',
      'Condition',
      'Procedure',
      'MedicationRequest',
      'Observation',
      'DocumentReference',
      'Practitioner',
      'Organization',
    ]) {
      expect(files).toContain(`${t}.ndjson`);
    }

    const byKey = new Map<string, Resource>();
    for (const file of files.filter((f) => f.endsWith('.ndjson'))) {
      const resources = readNdjson(file);
      expect(resources.length).toBe(summary.resources[file.replace('.ndjson', '')]);
      for (const r of resources) {
        expect(`${r.resourceType}.ndjson`).toBe(file);
        expect(r.id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
        byKey.set(`${r.resourceType}/${r.id ?? ''}`, r);
      }
    }
    const total = records.reduce((n, r) => n + (r.bundle.entry?.length ?? 0), 0);
    expect(byKey.size).toBe(total + (summary.resources.Practitioner ?? 0) + 1);

    const failures: string[] = [];
    for (const resource of byKey.values()) {
      const text = JSON.stringify(resource);
      expect(text).not.toContain('urn:uuid:');
      for (const ref of referencesIn(resource)) expect(byKey.has(ref), ref).toBe(true);
      failures.push(...validationErrors(resource).map((m) => `${resource.resourceType}: ${m}`));
    }
    expect(failures.slice(0, 10)).toEqual([]);

    const [header, ...rows] = readFileSync(join(dir, 'truth.csv'), 'utf8').trim().split('\n');
    expect(header).toBe('patient_id,person_id,is_duplicate,mrn,errors');
    expect(rows.length).toBe(records.length);
    rows.forEach((row, i) => {
      const [patientId, personId, isDuplicate, mrn, errors] = row.split(',');
      const record = records[i];
      const patient = byKey.get(`Patient/${patientId ?? ''}`);
      if (patient?.resourceType !== 'Patient' || !record) throw new Error(`no Patient for ${row}`);
      expect(personId).toBe(record.personId);
      expect(isDuplicate).toBe(String(record.isDuplicate));
      expect(mrn).toBe(record.mrn);
      expect(patient.identifier?.[0]?.value).toBe(mrn);
      expect(errors).toBe(record.errors.join('|'));
    });
  });
});
