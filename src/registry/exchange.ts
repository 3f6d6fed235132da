import { randomUUID } from 'node:crypto';
import type { Patient } from '@medplum/fhirtypes';
import { assertAllowed } from '../fhir/access-check.ts';
import { badRequest } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import { isNaaccrDate, itemById, type ItemValues } from './naaccr-items.ts';
import { BASE_DICTIONARY_URI, buildNaaccrXml, parseNaaccrXml, type NaaccrPatient } from './naaccr-xml.ts';
import {
  allCases,
  casesOfPatient,
  insertCase,
  itemsOfPatients,
  patientOfIdNumber,
  writeItems,
} from './registry-tables.ts';

/**
 * Reporting to the central registry: a NAACCR XML document per reporting period (completed
 * abstracts whose Date of Diagnosis falls in it), and the import of such a document.
 */

/** Identifier system of the registry's Patient ID Number on patients an import creates. */
export const PATIENT_ID_NUMBER_SYSTEM = 'urn:custodian:cancer-registry:patient-id-number';

export interface Period {
  /** NAACCR dates YYYYMMDD, inclusive. */
  from: string;
  to: string;
}

/** A reporting period from ISO dates (YYYY-MM-DD); 400 for anything else or an inverted period. */
export function parsePeriod(from: unknown, to: unknown): Period {
  const naaccr = (v: unknown, name: string): string => {
    const m = typeof v === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v) : null;
    const d = m ? `${m[1]}${m[2]}${m[3]}` : '';
    if (!isNaaccrDate(d) || d.length !== 8) throw badRequest(`${name} must be a date as YYYY-MM-DD`, [name]);
    return d;
  };
  const period = { from: naaccr(from, 'from'), to: naaccr(to, 'to') };
  if (period.from > period.to) throw badRequest('from must not be after to', ['from', 'to']);
  return period;
}

export interface PeriodCounts {
  completed: number;
  open: number;
  patients: number;
}

interface PeriodCases {
  patients: NaaccrPatient[];
  counts: PeriodCounts;
  patientIds: string[];
}

/** A diagnosis date inside the period (a partial date counts when its year or month overlaps it). */
function inPeriod(dx: string | undefined, p: Period): boolean {
  if (!dx) return false;
  return dx >= p.from.slice(0, dx.length) && dx <= p.to.slice(0, dx.length);
}

async function casesInPeriod(store: FhirStore, period: Period): Promise<PeriodCases> {
  const cases = await allCases(store.db);
  const visible = await store.visibleIds('Patient', [...new Set(cases.map((c) => c.patientId))]);
  const items = await itemsOfPatients(store.db, [...visible]);
  const byPatient = new Map<string, NaaccrPatient>();
  let open = 0;
  for (const c of cases) {
    const values = items.get(c.patientId)?.get(c.caseId);
    if (!visible.has(c.patientId) || !inPeriod(values?.dateOfDiagnosis, period)) continue;
    if (c.status !== 'complete') {
      open += 1;
      continue;
    }
    const patient = byPatient.get(c.patientId) ?? {
      items: items.get(c.patientId)?.get('') ?? {},
      tumors: [],
    };
    byPatient.set(c.patientId, patient);
    patient.tumors.push(values ?? {});
  }
  const patients = [...byPatient.values()];
  return {
    patients,
    patientIds: [...byPatient.keys()],
    counts: { completed: patients.reduce((n, p) => n + p.tumors.length, 0), open, patients: patients.length },
  };
}

export async function periodCounts(store: FhirStore, period: Period): Promise<PeriodCounts> {
  return (await casesInPeriod(store, period)).counts;
}

/** The NAACCR XML document of a reporting period: record type A (full case abstracts). */
export async function exportPeriod(
  store: FhirStore,
  period: Period,
  now = new Date(),
): Promise<{ xml: string; counts: PeriodCounts; patientIds: string[] }> {
  const { patients, counts, patientIds } = await casesInPeriod(store, period);
  const xml = buildNaaccrXml({
    recordType: 'A',
    baseDictionaryUri: BASE_DICTIONARY_URI,
    timeGenerated: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    patients,
  });
  return { xml, counts, patientIds };
}

export interface ImportResult {
  patients: number;
  tumors: number;
  createdPatients: number;
  /** naaccrIds in the file this registry does not abstract (kept out). */
  skippedItems: string[];
}

function known(values: ItemValues, skipped: Set<string>, level: 'Patient' | 'Tumor'): ItemValues {
  const out: ItemValues = {};
  for (const [id, v] of Object.entries(values)) {
    if (itemById(id)?.level !== level) {
      skipped.add(id);
      continue;
    }
    if (v.length > 100) throw badRequest(`Item ${id} is longer than 100 characters`, [id]);
    // A character reference such as &#0; must not reach the database (PostgreSQL refuses NUL).
    if ([...v].some((ch) => ch.charCodeAt(0) < 32))
      throw badRequest(`Item ${id} holds a control character`, [id]);
    out[id] = v;
  }
  return out;
}

/**
 * Reads a NAACCR XML document into the registry, all or nothing: each Patient by its Patient ID
 * Number (a patient the registry does not know is created, with that number as identifier), each
 * Tumor as a completed case, or onto the case of the same site and diagnosis date when there is one.
 */
export async function importDocument(store: FhirStore, xml: string): Promise<ImportResult> {
  const doc = parseNaaccrXml(xml);
  const skipped = new Set<string>();
  const incoming = doc.patients.map((p, i) => {
    const items = known(p.items, skipped, 'Patient');
    if (!items.patientIdNumber) throw badRequest(`Patient ${i + 1} has no patientIdNumber (item 20)`);
    return { items, tumors: p.tumors.map((t) => known(t, skipped, 'Tumor')) };
  });
  const result: ImportResult = {
    patients: incoming.length,
    tumors: 0,
    createdPatients: 0,
    skippedItems: [...skipped].sort(),
  };
  await store.db.transaction(async (tx) => {
    for (const p of incoming) {
      const idNumber = p.items.patientIdNumber ?? '';
      let patientId = await patientOfIdNumber(tx, idNumber);
      if (!patientId) {
        assertAllowed(store.ctx, 'Patient', 'create');
        patientId = randomUUID();
        const patient: Patient & { id: string } = {
          resourceType: 'Patient',
          id: patientId,
          identifier: [{ system: PATIENT_ID_NUMBER_SYSTEM, value: idNumber }],
          ...(p.items.sex
            ? {
                gender:
                  ({ '1': 'male', '2': 'female', '9': 'unknown' } as const)[p.items.sex as '1'] ?? 'other',
              }
            : {}),
          ...(p.items.dateOfBirth && p.items.dateOfBirth.length === 8
            ? {
                birthDate: `${p.items.dateOfBirth.slice(0, 4)}-${p.items.dateOfBirth.slice(4, 6)}-${p.items.dateOfBirth.slice(6, 8)}`,
              }
            : {}),
        };
        await store.writeInTransaction(tx, [patient], []);
        result.createdPatients += 1;
      }
      await writeItems(tx, patientId, '', p.items);
      const existing = await casesOfPatient(tx, patientId);
      const stored = (await itemsOfPatients(tx, [patientId])).get(patientId);
      for (const tumor of p.tumors) {
        const site = tumor.primarySite?.slice(0, 3) ?? 'C80';
        const same = existing.find(
          (c) => c.siteKey === site && stored?.get(c.caseId)?.dateOfDiagnosis === tumor.dateOfDiagnosis,
        );
        const caseId = same?.caseId ?? randomUUID();
        if (!same)
          await insertCase(tx, { patientId, caseId, siteKey: site, sourceCode: null, status: 'complete' });
        await writeItems(tx, patientId, caseId, tumor);
        result.tumors += 1;
      }
    }
  });
  return result;
}
