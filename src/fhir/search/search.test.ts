import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent, Bundle, Patient, Resource } from '@medplum/fhirtypes';
import { openTestDb } from '../../testing/test-db.ts';
import type { Db } from '../../db/db.ts';
import { isOutcomeError } from '../outcomes.ts';
import { deleteSearchRows, extractSearchRows, parseSearch, searchBundle } from './index.ts';
import { planFilters } from './plan.ts';
import {
  bloodPressure,
  exampleResources,
  storeResources,
  syntheaPatient,
} from '../../testing/search-fixtures.ts';
import { hasSharedTestdata } from '../../testing/shared-testdata.ts';

const BASE = 'http://test/fhir';
let db: Db;

async function search(type: string, query: string, lenient = false): Promise<Bundle> {
  return searchBundle(db, parseSearch(type, new URLSearchParams(query), { lenient }), { baseUrl: BASE });
}
async function ids(type: string, query: string): Promise<string[]> {
  const bundle = await search(type, `${query}&_count=1000`);
  return (bundle.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource?.id as string);
}

// The spec examples and the Synthea patient are shared test data: the tests naming them skip without it.
const synthea = hasSharedTestdata ? syntheaPatient(0) : [];
const syntheaPatientRes = synthea.find((r): r is Patient => r.resourceType === 'Patient') as Patient;

beforeAll(async () => {
  db = await openTestDb();
  const extra: Patient[] = [
    {
      resourceType: 'Patient',
      id: 'accent',
      name: [{ family: 'Gómez', given: ['José'] }],
      birthDate: '1970-03-15',
      gender: 'male',
    },
    {
      resourceType: 'Patient',
      id: 'month',
      name: [{ family: 'Gomez', given: ['Ana'] }],
      birthDate: '1970-03',
      gender: 'female',
    },
    {
      resourceType: 'Patient',
      id: 'y1971',
      name: [{ family: 'Gomezz' }],
      birthDate: '1971-01-01',
      gender: 'female',
    },
  ];
  await storeResources(db, [...(hasSharedTestdata ? exampleResources() : []), ...extra]);
  await storeResources(db, synthea);
});
afterAll(async () => {
  await db.close();
});

describe('string parameters', () => {
  it.skipIf(!hasSharedTestdata)('match by prefix, case- and accent-insensitively', async () => {
    expect(await ids('Patient', 'family=gomez')).toEqual(['accent', 'month', 'y1971']);
    expect(await ids('Patient', 'family=GÓMEZ')).toEqual(['accent', 'month', 'y1971']);
    expect(await ids('Patient', 'given=jos')).toEqual(['accent']);
    expect(await ids('Patient', 'name=peter')).toContain('example');
    expect(await ids('Patient', 'phonetic=chalm')).toEqual(['example']);
    expect(await ids('Patient', 'address-postalcode=3999')).toContain('example');
  });
  it(':exact and :contains', async () => {
    expect(await ids('Patient', 'family:exact=Gómez')).toEqual(['accent']);
    expect(await ids('Patient', 'family:exact=gómez')).toEqual([]);
    expect(await ids('Patient', 'family:contains=ome')).toEqual(['accent', 'month', 'y1971']);
  });
  it('comma is OR, repetition is AND', async () => {
    expect(await ids('Patient', 'given=jose,ana')).toEqual(['accent', 'month']);
    expect(await ids('Patient', 'family=gomez&given=ana')).toEqual(['month']);
  });
});

describe.skipIf(!hasSharedTestdata)('token parameters', () => {
  it('code, system|code, |code, system|', async () => {
    expect(await ids('Patient', 'identifier=12345')).toContain('example');
    expect(await ids('Patient', 'identifier=urn:oid:1.2.36.146.595.217.0.1|12345')).toEqual(['example']);
    expect(await ids('Patient', 'identifier=urn:oid:wrong|12345')).toEqual([]);
    expect(await ids('Patient', 'gender=http://hl7.org/fhir/administrative-gender|female')).toEqual(
      expect.arrayContaining(['month', 'y1971']),
    );
    const bySystem = await ids('Encounter', 'class=http://terminology.hl7.org/CodeSystem/v3-ActCode|');
    expect(bySystem.length).toBeGreaterThan(5);
  });
  it(':not and :text', async () => {
    const all = await ids('Patient', '_count=1000');
    const male = await ids('Patient', 'gender=male');
    const notMale = await ids('Patient', 'gender:not=male');
    expect(male.length + notMale.length).toBe(all.length);
    expect(notMale).not.toContain('accent');
    expect(await ids('Condition', 'code:text=fever')).toContain('f201');
  });
  it('phone and email on ContactPoint, _id', async () => {
    expect(await ids('Patient', 'phone=(03) 5555 6473')).toEqual(['example']);
    expect(await ids('Patient', '_id=accent,month')).toEqual(['accent', 'month']);
    expect(await ids('Encounter', 'status=finished').then((l) => l.length)).toBeGreaterThan(0);
  });
});

describe('date parameters', () => {
  it('precision ranges: 1970 and 1970-03 contain more precise dates', async () => {
    expect(await ids('Patient', 'birthdate=1970')).toEqual(['accent', 'month']);
    expect(await ids('Patient', 'birthdate=1970-03')).toEqual(['accent', 'month']);
    // A month is not contained in one day.
    expect(await ids('Patient', 'birthdate=1970-03-15')).toEqual(['accent']);
  });
  it('prefixes', async () => {
    const family = 'family=gomez';
    expect(await ids('Patient', `${family}&birthdate=gt1970`)).toEqual(['y1971']);
    expect(await ids('Patient', `${family}&birthdate=ge1970-03-10`)).toEqual(['accent', 'month', 'y1971']);
    expect(await ids('Patient', `${family}&birthdate=lt1970-03-10`)).toEqual(['month']);
    expect(await ids('Patient', `${family}&birthdate=sa1970-12-31`)).toEqual(['y1971']);
    expect(await ids('Patient', `${family}&birthdate=eb1971`)).toEqual(['accent', 'month']);
    expect(await ids('Patient', `${family}&birthdate=ne1971`)).toEqual(['accent', 'month']);
    expect(await ids('Patient', `${family}&birthdate=ge1970&birthdate=lt1971`)).toEqual(['accent', 'month']);
  });
  it('two criteria on a one-valued date hold on the same value; on a many-valued date each may hold on its own', async () => {
    // One index row to test (planFilters): a birth date cannot be both before 1970 and after 1971.
    const [single] = planFilters(
      parseSearch('Patient', new URLSearchParams('birthdate=lt1970&birthdate=gt1971'), { lenient: false })
        .filters,
    );
    expect(
      planFilters(
        parseSearch('Patient', new URLSearchParams('birthdate=ge1970&birthdate=lt1971'), { lenient: false })
          .filters,
      ),
    ).toHaveLength(1);
    expect(single).toMatchObject({ kind: 'exists', table: 'search_date' });
    expect(await ids('Patient', 'family=gomez&birthdate=ge1970-03-01&birthdate=eb1970-03-16')).toEqual([
      'accent',
    ]);
    // 1970-03 is the whole month: it ends before April, not before the 16th.
    expect(await ids('Patient', 'family=gomez&birthdate=ge1970-03-01&birthdate=eb1970-04-01')).toEqual([
      'accent',
      'month',
    ]);
    expect(await ids('Patient', 'family=gomez&birthdate=lt1970&birthdate=gt1971')).toEqual([]);
    // A Goal with two targets due 2020 and 2030 has a due date before 2021 and one after 2029.
    await storeResources(db, [
      {
        resourceType: 'Goal',
        id: 'two-targets',
        lifecycleStatus: 'active',
        description: { text: 'two targets' },
        subject: { reference: 'Patient/accent' },
        target: [{ dueDate: '2020-01-01' }, { dueDate: '2030-01-01' }],
      },
    ]);
    expect(
      planFilters(
        parseSearch('Goal', new URLSearchParams('target-date=lt2021&target-date=gt2029'), { lenient: false })
          .filters,
      ),
    ).toHaveLength(2);
    expect(await ids('Goal', 'target-date=lt2021&target-date=gt2029')).toEqual(['two-targets']);
    // One occurrence, but a Timing's events are an index row each.
    expect(
      planFilters(
        parseSearch('ServiceRequest', new URLSearchParams('occurrence=lt2021&occurrence=gt2029'), {
          lenient: false,
        }).filters,
      ),
    ).toHaveLength(2);
  });
  it.skipIf(!hasSharedTestdata)('periods and dateTimes on Encounter, Procedure', async () => {
    // f203's period is 2013-03-11..2013-03-20.
    expect(await ids('Encounter', 'date=ge2013-01-01&date=lt2014-01-01')).toContain('f203');
    expect(await ids('Encounter', 'date=2013-03')).toContain('f203');
    expect(await ids('Encounter', 'date=2013-03-15')).not.toContain('f203');
    expect(await ids('Encounter', 'date=ap2013-03-15')).toContain('f203');
    expect(await ids('Procedure', 'date=2013-04-05')).toContain('example');
  });
});

describe.skipIf(!hasSharedTestdata)('reference parameters and chains', () => {
  it('Type/id, bare id, absolute URL, type modifier', async () => {
    expect(await ids('Encounter', 'patient=Patient/f201')).toEqual(
      expect.arrayContaining(['f201', 'f202', 'f203']),
    );
    expect(await ids('Encounter', 'subject=f201')).toEqual(expect.arrayContaining(['f201', 'f202', 'f203']));
    expect(await ids('Encounter', 'subject:Patient=f201')).toEqual(expect.arrayContaining(['f201', 'f202']));
    expect(await ids('Encounter', 'subject=http://other/fhir/Patient/f201')).toContain('f201');
    expect(await ids('Encounter', 'subject:Group=f201')).toEqual([]);
  });
  it('chained parameters', async () => {
    const byChain = await ids('Encounter', 'subject:Patient.name=roel');
    expect(byChain).toEqual(expect.arrayContaining(['f201', 'f202', 'f203']));
    expect(await ids('Encounter', 'patient.name=roel')).toEqual(byChain);
    expect(await ids('Encounter', 'patient.family=nobody')).toEqual([]);
    const family = syntheaPatientRes.name?.[0]?.family as string;
    const conditions = await ids(
      'Condition',
      `patient.family=${family}&patient.birthdate=${syntheaPatientRes.birthDate}`,
    );
    expect(conditions.length).toBe(synthea.filter((r) => r.resourceType === 'Condition').length);
  });
});

describe('codes beneath and above a code (:below, :above)', () => {
  it('finds every ICD-10-CM code under a category, and refuses systems without a prefix hierarchy', async () => {
    const CM = 'http://hl7.org/fhir/sid/icd-10-cm';
    const condition = (id: string, code: string): Resource => ({
      resourceType: 'Condition',
      id,
      subject: { reference: 'Patient/below-p' },
      code: { coding: [{ system: CM, code }] },
    });
    await storeResources(db, [
      condition('below-1', 'E11.9'),
      condition('below-2', 'E11.65'),
      condition('below-3', 'E10.9'),
      condition('below-4', 'E111'),
    ]);
    const under = (q: string) => ids('Condition', `subject=Patient/below-p&code:below=${q}`);
    expect(await under(`${CM}|E11`)).toEqual(['below-1', 'below-2', 'below-4']);
    expect(await under(`${CM}|E11.6`)).toEqual(['below-2']);
    expect(await under(`${CM}|E11.65`)).toEqual(['below-2']);
    expect(await under(`${CM}|E10,${CM}|E11.9`)).toEqual(['below-1', 'below-3']);
    // :above, the other way: the code and the codes it sits under.
    await storeResources(db, [condition('below-5', 'E11.6'), condition('below-6', 'E11')]);
    const over = (q: string) => ids('Condition', `subject=Patient/below-p&code:above=${q}`);
    expect(await over(`${CM}|E11.65`)).toEqual(['below-2', 'below-5', 'below-6']);
    expect(await over(`${CM}|E11.9`)).toEqual(['below-1', 'below-6']);
    expect(await over(`${CM}|E10`)).toEqual([]);
    for (const modifier of ['below', 'above'])
      for (const bad of ['E11', 'http://snomed.info/sct|73211009', `${CM}|`]) {
        const err = await search('Condition', `code:${modifier}=${bad}`).catch((e: unknown) => e);
        expect(isOutcomeError(err) && err.status, `${modifier} ${bad}`).toBe(400);
      }
  });
});

describe('codes in a ValueSet (:in, :not-in)', () => {
  it('finds charts coded with a stored list: listed codes, ICD-10 hierarchies, nested lists, exclusions', async () => {
    const CM = 'http://hl7.org/fhir/sid/icd-10-cm';
    const SCT = 'http://snomed.info/sct';
    const condition = (id: string, system: string, code: string): Resource => ({
      resourceType: 'Condition',
      id,
      subject: { reference: 'Patient/vs-p' },
      code: { coding: [{ system, code }] },
    });
    const valueSet = (id: string, compose: object, extra: object = {}): Resource =>
      ({
        resourceType: 'ValueSet',
        id,
        url: `http://custodian.test/ValueSet/${id}`,
        status: 'active',
        compose,
        ...extra,
      }) as Resource;
    await storeResources(db, [
      condition('vs-1', CM, 'E11.9'),
      condition('vs-2', CM, 'E11.65'),
      condition('vs-3', CM, 'I10'),
      condition('vs-4', CM, 'C50.911'),
      condition('vs-5', SCT, '73211009'),
      valueSet('diabetes', {
        include: [{ system: CM, filter: [{ property: 'concept', op: 'is-a', value: 'E11' }] }],
        exclude: [{ system: CM, concept: [{ code: 'E11.65' }] }],
      }),
      valueSet('hypertension', { include: [{ system: CM, concept: [{ code: 'I10' }, { code: 'I11.9' }] }] }),
      valueSet('cardiometabolic', {
        include: [
          {
            valueSet: [
              'http://custodian.test/ValueSet/diabetes',
              'http://custodian.test/ValueSet/hypertension',
            ],
          },
        ],
      }),
      valueSet('below-only', {
        include: [{ system: CM, filter: [{ property: 'concept', op: 'descendent-of', value: 'E11.65' }] }],
      }),
      valueSet('all-snomed', { include: [{ system: SCT }] }),
      valueSet(
        'expanded',
        { include: [{ system: CM }] },
        { expansion: { timestamp: '2026-11-30T00:00:00Z', contains: [{ system: CM, code: 'C50.911' }] } },
      ),
      valueSet('snomed-hierarchy', {
        include: [{ system: SCT, filter: [{ property: 'concept', op: 'is-a', value: '73211009' }] }],
      }),
    ]);
    const inList = (modifier: string, id: string) =>
      ids('Condition', `subject=Patient/vs-p&code:${modifier}=http://custodian.test/ValueSet/${id}`);
    expect(await inList('in', 'diabetes')).toEqual(['vs-1']);
    expect(await inList('in', 'hypertension')).toEqual(['vs-3']);
    expect(await inList('in', 'cardiometabolic')).toEqual(['vs-1', 'vs-3']);
    expect(await inList('in', 'below-only')).toEqual([]);
    expect(await inList('in', 'all-snomed')).toEqual(['vs-5']);
    expect(await inList('in', 'expanded')).toEqual(['vs-4']);
    expect(await inList('not-in', 'cardiometabolic')).toEqual(['vs-2', 'vs-4', 'vs-5']);
    // Counted the same way.
    const counted = await search(
      'Condition',
      'subject=Patient/vs-p&code:in=http://custodian.test/ValueSet/cardiometabolic&_summary=count',
    );
    expect(counted.total).toBe(2);
    for (const bad of ['snomed-hierarchy', 'no-such-list']) {
      const err = await inList('in', bad).catch((e: unknown) => e);
      expect(isOutcomeError(err) && err.status, bad).toBe(400);
    }
  });
});

describe('references by identifier (:identifier)', () => {
  it('finds references that name their target by business identifier', async () => {
    const NPI = 'http://hl7.org/fhir/sid/us-npi';
    await storeResources(db, [
      {
        resourceType: 'Encounter',
        id: 'by-npi',
        status: 'finished',
        class: { code: 'AMB' },
        participant: [{ individual: { identifier: { system: NPI, value: '1234567893' } } }],
      },
    ]);
    expect(await ids('Encounter', `participant:identifier=${NPI}|1234567893`)).toEqual(['by-npi']);
    expect(await ids('Encounter', 'participant:identifier=1234567893')).toEqual(['by-npi']);
    expect(await ids('Encounter', `participant:identifier=${NPI}|0000000000`)).toEqual([]);
    expect(await ids('Encounter', `participant=Practitioner/1234567893`)).toEqual([]);
  });
});

describe('chaining and reverse chaining (_has)', () => {
  const hasPatient = (id: string): Patient => ({
    resourceType: 'Patient',
    id,
    name: [{ family: 'Hasse' }],
  });
  const observation = (id: string, patient: string, code: string): Resource => ({
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: 'urn:test:has', code }] },
    subject: { reference: `Patient/${patient}` },
  });

  beforeAll(async () => {
    await storeResources(db, [hasPatient('has-open'), hasPatient('has-secret')]);
    await storeResources(db, [
      observation('has-o1', 'has-open', 'a1c'),
      observation('has-o2', 'has-secret', 'other'),
    ]);
    // The only HIV test result of has-secret is itself labelled restricted.
    await storeResources(db, [observation('has-o3', 'has-secret', 'hiv')], { security: ['R'] });
  });

  it.skipIf(!hasSharedTestdata)(
    'finds patients by what their observations say, through aliases and nested _has',
    async () => {
      expect(await ids('Patient', '_has:Observation:patient:code=urn:test:has|a1c')).toEqual(['has-open']);
      expect(await ids('Patient', '_has:Observation:subject:code=a1c,hiv')).toEqual([
        'has-open',
        'has-secret',
      ]);
      expect(await ids('Patient', '_has:Observation:patient:code=nothing')).toEqual([]);
      // Synthea: the patient who has an encounter that some condition names.
      const condition = synthea.find((r) => r.resourceType === 'Condition') as Resource & {
        code: { coding: Array<{ code: string }> };
      };
      const code = condition.code.coding[0]?.code ?? '';
      expect(await ids('Patient', `_has:Encounter:patient:_has:Condition:encounter:code=${code}`)).toEqual([
        syntheaPatientRes.id,
      ]);
    },
  );

  it('never reveals a patient through a record the caller may not see', async () => {
    const query = '_has:Observation:patient:code=hiv';
    const run = (deniedLabels: string[]) =>
      searchBundle(db, parseSearch('Patient', new URLSearchParams(query), { lenient: false }), {
        baseUrl: BASE,
        access: { deniedLabels, allowedPatients: [] },
      });
    expect((await run([])).entry?.map((e) => e.resource?.id)).toEqual(['has-secret']);
    expect((await run(['R'])).entry ?? []).toEqual([]);
  });

  it('never matches a chain through a record the caller may not see', async () => {
    const report: Resource = {
      resourceType: 'DiagnosticReport',
      id: 'has-report',
      status: 'final',
      code: { text: 'panel' },
      result: [{ reference: 'Observation/has-o3' }, { reference: 'Observation/has-o1' }],
    };
    await storeResources(db, [report]);
    const run = (query: string, deniedLabels: string[]) =>
      searchBundle(db, parseSearch('DiagnosticReport', new URLSearchParams(query), { lenient: false }), {
        baseUrl: BASE,
        access: { deniedLabels, allowedPatients: [] },
      }).then((b) => b.entry?.map((e) => e.resource?.id) ?? []);
    // The report itself is open; only the HIV result it points to is restricted.
    expect(await run('result.code=hiv', [])).toEqual(['has-report']);
    expect(await run('result.code=hiv', ['R'])).toEqual([]);
    expect(await run('result.code=a1c', ['R'])).toEqual(['has-report']);
    expect(await run('result:Observation.code=hiv', ['R'])).toEqual([]);
  });

  it('answers a malformed _has with 400', async () => {
    for (const q of [
      '_has:Observation:code:status=final',
      '_has:Nope:patient:code=x',
      '_has:Observation:patient=x',
      '_has:Encounter:subject:status=finished',
    ]) {
      const err = await search('Practitioner', q).catch((e: unknown) => e);
      expect(isOutcomeError(err) && err.status, q).toBe(400);
    }
  });
});

describe('number and quantity', () => {
  it.skipIf(!hasSharedTestdata)('matches Observation values by prefix and unit', async () => {
    const obs = synthea.filter((r) => r.resourceType === 'Observation' && 'valueQuantity' in r) as Array<
      Resource & { valueQuantity: { value: number; code?: string } }
    >;
    const sample = obs[0]!.valueQuantity;
    const exact = await ids('Observation', `value-quantity=${sample.value}`);
    expect(exact).toContain(obs[0]!.id);
    const withUnit = await ids(
      'Observation',
      `value-quantity=${sample.value}|http://unitsofmeasure.org|${sample.code}`,
    );
    expect(withUnit).toContain(obs[0]!.id);
    const above = await ids('Observation', `value-quantity=gt${sample.value}`);
    expect(above).not.toContain(obs[0]!.id);
    // combo-value-quantity is value-quantity | component-value-quantity, stored once.
    expect(await ids('Observation', `combo-value-quantity=${sample.value}`)).toContain(obs[0]!.id);
  });
  it('combo-code finds codes of the observation and of its components', async () => {
    await storeResources(db, [bloodPressure('bp', 120, 80)]);
    expect(await ids('Observation', 'combo-code=8480-6')).toEqual(['bp']);
    expect(await ids('Observation', 'combo-code=http://loinc.org|85354-9')).toEqual(['bp']);
    expect(await ids('Observation', 'code=8480-6')).toEqual([]);
    expect(await ids('Observation', 'combo-value-quantity=120&combo-code=8480-6')).toEqual(['bp']);
  });
});

describe("an audit record's patient", () => {
  it('is found through the agent and entity rows that are Patients, not indexed a second time', async () => {
    const event: AuditEvent = {
      resourceType: 'AuditEvent',
      id: 'ae-patient',
      type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110' },
      recorded: '2025-01-01T00:00:00Z',
      agent: [{ who: { reference: 'Patient/accent' }, requestor: true }],
      source: { observer: { display: 'test' } },
      entity: [{ what: { reference: 'Patient/month' } }, { what: { reference: 'Encounter/e1' } }],
    };
    await storeResources(db, [event]);
    expect(extractSearchRows(event).reference.map((r) => r.param)).not.toContain('patient');
    expect(await ids('AuditEvent', 'patient=Patient/accent')).toEqual(['ae-patient']);
    expect(await ids('AuditEvent', 'patient=month')).toEqual(['ae-patient']);
    expect(await ids('AuditEvent', 'patient=e1')).toEqual([]);
    expect(await ids('AuditEvent', 'entity=Encounter/e1')).toEqual(['ae-patient']);
  });
});

describe('errors', () => {
  const status = (fn: () => unknown): number | undefined => {
    try {
      fn();
    } catch (err) {
      return isOutcomeError(err) ? err.status : -1;
    }
    return undefined;
  };
  it('answers 400 for unknown parameters, bad modifiers and bad values', () => {
    const p =
      (q: string, lenient = false) =>
      () =>
        parseSearch('Patient', new URLSearchParams(q), { lenient });
    expect(status(p('nonsense=1'))).toBe(400);
    expect(status(p('family:fuzzy=x'))).toBe(400);
    expect(status(p('birthdate=1970-13'))).toBe(400);
    expect(status(p('birthdate=xx1970'))).toBe(400);
    expect(status(p('birthdate=not-a-date'))).toBe(400);
    expect(status(p('_count=-1'))).toBe(400);
    expect(status(p('_sort=nonsense'))).toBe(400);
    expect(status(p('_include=Patient:family'))).toBe(400);
    // Matches are Patients: an include from Observations would silently include nothing.
    expect(status(p('_include=Observation:subject'))).toBe(400);
    expect(status(p('_include:iterate=Observation:subject'))).toBeUndefined();
    expect(status(p('_revinclude=Observation:subject'))).toBeUndefined();
    expect(status(p('_cursor=garbage'))).toBe(400);
    expect(status(() => parseSearch('Nonsense', new URLSearchParams(''), { lenient: false }))).toBe(400);
  });
  it('ignores and reports unknown parameters when lenient, but not bad values', () => {
    const req = parseSearch('Patient', new URLSearchParams('nonsense=1&family=x'), { lenient: true });
    expect(req.ignored).toEqual(['nonsense']);
    expect(req.filters).toHaveLength(1);
    expect(req.linkParams).toEqual([['family', 'x']]);
    expect(
      status(() => parseSearch('Patient', new URLSearchParams('birthdate=bad'), { lenient: true })),
    ).toBe(400);
  });
});

describe('deleted resources', () => {
  it('never match', async () => {
    await storeResources(db, [{ resourceType: 'Patient', id: 'gone', name: [{ family: 'Vanishing' }] }]);
    expect(await ids('Patient', 'family=vanishing')).toEqual(['gone']);
    await db.query(
      `UPDATE fhir_resource SET deleted = true, content = NULL WHERE resource_type = 'Patient' AND id = 'gone'`,
    );
    await deleteSearchRows(db, 'Patient', 'gone');
    expect(await ids('Patient', 'family=vanishing')).toEqual([]);
    expect(await ids('Patient', '_id=gone')).toEqual([]);
  });
});
