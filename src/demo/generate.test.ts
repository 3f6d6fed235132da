import { createHash } from 'node:crypto';
import type { Encounter, Patient } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { demoFacilityBundle, generatePatients } from './index.ts';
import type { DemoOptions, DemoPatient } from './index.ts';
import { referencesIn, validationErrors } from '../testing/demo-fixtures.ts';

function all(options: DemoOptions): DemoPatient[] {
  return [...generatePatients(options)];
}

function digest(records: DemoPatient[]): string {
  return createHash('sha256').update(JSON.stringify(records)).digest('hex');
}

describe('generatePatients', () => {
  it('gives byte-identical output for the same seed and different output for another', () => {
    const options = { patients: 40, seed: 7, duplicateRate: 0.3 };
    expect(digest(all(options))).toBe(digest(all(options)));
    expect(digest(all({ ...options, seed: 8 }))).not.toBe(digest(all(options)));
  });

  it('keeps originals independent of the duplicate rate and lite output a subset of full', () => {
    const plain = all({ patients: 30, seed: 3 });
    const withDuplicates = all({ patients: 30, seed: 3, duplicateRate: 0.5 }).filter((r) => !r.isDuplicate);
    expect(digest(withDuplicates)).toBe(digest(plain));
    const lite = all({ patients: 30, seed: 3, lite: true });
    plain.forEach((full, i) => {
      const fullEntries = (full.bundle.entry ?? []).filter(
        (e) => !['Observation', 'DocumentReference'].includes(e.resource?.resourceType ?? ''),
      );
      expect(JSON.stringify(lite[i]?.bundle.entry)).toBe(JSON.stringify(fullEntries));
    });
  });

  it('produces resources that pass R4 structure validation', () => {
    // The validator must be able to fail: an Encounter without its required status and class.
    expect(validationErrors({ resourceType: 'Encounter' } as Encounter).length).toBeGreaterThan(0);
    const facility = demoFacilityBundle();
    const failures: string[] = [];
    for (const resource of [facility, ...(facility.entry ?? []).map((e) => e.resource)]) {
      if (resource) failures.push(...validationErrors(resource).map((m) => `${resource.resourceType}: ${m}`));
    }
    let checked = 0;
    for (const record of generatePatients({ patients: 50, seed: 11, duplicateRate: 0.4 })) {
      failures.push(...validationErrors(record.bundle).map((m) => `Bundle: ${m}`));
      for (const entry of record.bundle.entry ?? []) {
        if (!entry.resource) continue;
        checked += 1;
        failures.push(
          ...validationErrors(entry.resource).map((m) => `${entry.resource?.resourceType ?? ''}: ${m}`),
        );
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(checked).toBeGreaterThan(1000);
  });

  it('builds transaction bundles whose references resolve inside the bundle or to the facility', () => {
    const facilityRefs = new Set(
      (demoFacilityBundle().entry ?? []).map(
        (e) => `${e.resource?.resourceType ?? ''}/${e.resource?.id ?? ''}`,
      ),
    );
    for (const record of generatePatients({ patients: 60, seed: 5, duplicateRate: 0.3 })) {
      const bundle = record.bundle;
      expect(bundle.type).toBe('transaction');
      const fullUrls = new Set<string>();
      for (const entry of bundle.entry ?? []) {
        expect(entry.fullUrl).toMatch(
          /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
        expect(entry.request).toEqual({ method: 'POST', url: entry.resource?.resourceType });
        fullUrls.add(entry.fullUrl ?? '');
      }
      expect(fullUrls.size).toBe(bundle.entry?.length);
      for (const ref of referencesIn(bundle.entry?.map((e) => e.resource))) {
        expect(fullUrls.has(ref) || facilityRefs.has(ref), ref).toBe(true);
      }
    }
  });

  it('makes realistic charts: MRNs, encounter classes, dispositions, coded diagnoses and notes', () => {
    const records = all({ patients: 150, seed: 21 });
    const patients = records.map((r) => r.bundle.entry?.[0]?.resource as Patient);
    const mrns = patients.map(
      (p) => p.identifier?.find((i) => i.type?.coding?.[0]?.code === 'MR')?.value ?? '',
    );
    expect(new Set(mrns).size).toBe(records.length);
    for (const mrn of mrns) expect(mrn).toMatch(/^M\d{7}$/);
    const ssns = patients.flatMap(
      (p) => p.identifier?.filter((i) => i.system === 'http://hl7.org/fhir/sid/us-ssn') ?? [],
    );
    expect(ssns.length).toBeGreaterThan(records.length / 2);
    for (const ssn of ssns) expect(ssn.value).toMatch(/^9\d\d-\d\d-\d{4}$/);

    const resources = records.flatMap((r) => (r.bundle.entry ?? []).map((e) => e.resource));
    const encounters = resources.filter((r): r is Encounter => r?.resourceType === 'Encounter');
    const classes = new Set(encounters.map((e) => e.class.code));
    expect([...classes].sort()).toEqual(['AMB', 'EMER', 'IMP']);
    const perPatient = records.map(
      (r) => (r.bundle.entry ?? []).filter((e) => e.resource?.resourceType === 'Encounter').length,
    );
    expect(Math.min(...perPatient)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...perPatient)).toBeLessThanOrEqual(6);
    for (const e of encounters.filter((x) => x.class.code === 'IMP' && x.status === 'finished')) {
      expect(e.hospitalization?.dischargeDisposition?.coding?.[0]?.code).toBeTruthy();
      const days = (Date.parse(e.period?.end ?? '') - Date.parse(e.period?.start ?? '')) / 86_400_000;
      expect(days).toBeGreaterThan(0.5);
    }
    expect(encounters.some((e) => e.status === 'in-progress')).toBe(true);
    for (const e of encounters) expect(e.diagnosis?.[0]?.rank).toBe(1);

    const types = new Set(resources.map((r) => r?.resourceType));
    for (const t of ['Condition', 'Procedure', 'MedicationRequest', 'Observation', 'DocumentReference'])
      expect(types.has(t as never), t).toBe(true);
    const icd = resources.flatMap((r) => (r?.resourceType === 'Condition' ? (r.code?.coding ?? []) : []));
    expect(
      icd.every(
        (c) =>
          c.system === 'http://hl7.org/fhir/sid/icd-10-cm' &&
          /^[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?$/.test(c.code ?? ''),
      ),
    ).toBe(true);
    const procedureSystems = new Set(
      resources.flatMap((r) =>
        r?.resourceType === 'Procedure' ? (r.code?.coding ?? []).map((c) => c.system) : [],
      ),
    );
    expect(procedureSystems).toEqual(
      new Set([
        'http://www.cms.gov/Medicare/Coding/ICD10',
        'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
      ]),
    );

    // Notes are readable text that names the encounter's principal diagnosis.
    const record = records.find((r) =>
      r.bundle.entry?.some(
        (e) =>
          e.resource?.resourceType === 'DocumentReference' &&
          e.resource.type?.coding?.[0]?.code === '18842-5',
      ),
    );
    expect(record).toBeDefined();
    const doc = record?.bundle.entry
      ?.map((e) => e.resource)
      .find((r) => r?.resourceType === 'DocumentReference' && r.type?.coding?.[0]?.code === '18842-5');
    if (doc?.resourceType !== 'DocumentReference') throw new Error('no discharge summary');
    const text = Buffer.from(doc.content[0]?.attachment.data ?? '', 'base64').toString('utf8');
    expect(text).toContain('DISCHARGE SUMMARY');
    const encounterUrn = doc.context?.encounter?.[0]?.reference;
    const principal = record?.bundle.entry
      ?.map((e) => e.resource)
      .find((r) => r?.resourceType === 'Condition' && r.encounter?.reference === encounterUrn);
    if (principal?.resourceType !== 'Condition') throw new Error('no principal diagnosis');
    expect(text).toContain(principal.code?.coding?.[0]?.code ?? 'missing');
    expect(doc.author?.[0]?.reference).toMatch(/^Practitioner\//);
  });

  it('uses caller-given billable codes when they are passed', () => {
    const icd10cm = [
      { code: 'A000', display: 'Cholera due to Vibrio cholerae 01, biovar cholerae' },
      { code: 'J189', display: 'Pneumonia, unspecified organism' },
    ];
    const icd10pcs = [
      { code: '0DTJ4ZZ', display: 'Resection of Appendix, Percutaneous Endoscopic Approach' },
    ];
    const records = all({
      patients: 40,
      seed: 2,
      codes: {
        icd10cm,
        icd10pcs,
        hcpcs: [{ code: 'G0008', display: 'Administration of influenza virus vaccine' }],
      },
    });
    const codes = new Set(
      records.flatMap((r) =>
        (r.bundle.entry ?? []).flatMap((e) =>
          e.resource?.resourceType === 'Condition' ? (e.resource.code?.coding ?? []).map((c) => c.code) : [],
        ),
      ),
    );
    expect([...codes].sort()).toEqual(['A00.0', 'J18.9']);
  });

  it('rejects bad options', () => {
    expect(() => all({ patients: -1, seed: 1 })).toThrow(RangeError);
    expect(() => all({ patients: 1, seed: 1, duplicateRate: 2 })).toThrow(RangeError);
  });
});
