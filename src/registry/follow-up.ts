import type { Encounter } from '@medplum/fhirtypes';
import type { Db } from '../db/index.ts';
import type { FhirStore } from '../fhir/store.ts';
import { isAnalytic, naaccrDateOf } from './naaccr-items.ts';
import { visiblePatientNames } from './patient-names.ts';
import {
  allCases,
  itemsOfPatients,
  readWatermark,
  settledUpTo,
  settleMsOf,
  writeWatermark,
} from './registry-tables.ts';
import { referencedId } from '../fhir/definitions.ts';

/**
 * Follow-up: every living patient with an analytic case is followed yearly. A new encounter of a
 * registry patient moves the Date of Last Contact (item 1750) forward by itself; the worklist
 * lists those whose last contact is over a year old, and the follow-up rate is computed as the
 * Commission on Cancer counts it: patients known dead or with a contact in the last 15 months,
 * over all living-or-dead patients with analytic cases (and the same for those diagnosed in the
 * last five years).
 */

const BATCH = 500;
/** Encounters that happened (a planned or cancelled one is no contact). */
const CONTACT_STATUSES = new Set(['arrived', 'triaged', 'in-progress', 'onleave', 'finished']);

function contactDate(e: Encounter, today: string): string | undefined {
  if (!CONTACT_STATUSES.has(e.status)) return undefined;
  const date = naaccrDateOf(e.period?.end ?? e.period?.start);
  return date && date <= today ? date : undefined;
}

function naaccrToday(now: Date): string {
  return now.toISOString().slice(0, 10).replaceAll('-', '');
}

/** Moves registry patients' Date of Last Contact forward from the encounters written since the last run. */
export async function refreshLastContacts(db: Db, store: FhirStore, now = new Date()): Promise<number> {
  const today = naaccrToday(now);
  let moved = 0;
  for (;;) {
    const after = await readWatermark(db, 'follow-up:Encounter');
    const rows = await store.changedSince('Encounter', after, BATCH);
    const last = rows.at(-1);
    if (!last) return moved;
    const settled = settledUpTo(rows, settleMsOf(db));
    const latest = new Map<string, string>();
    for (const row of rows) {
      const e = row.content as Encounter | null;
      const patientId = referencedId(e?.subject, 'Patient');
      const date = e && !row.deleted ? contactDate(e, today) : undefined;
      if (!patientId || !date) continue;
      if ((latest.get(patientId) ?? '') < date) latest.set(patientId, date);
    }
    await db.transaction(async (tx) => {
      if (latest.size > 0) {
        // Only patients the registry holds, and only forward: an older visit never moves it back.
        const res = await tx.query(
          `INSERT INTO registry_item (patient_id, case_id, item_number, naaccr_id, value)
           SELECT t.p, '', 1750, 'dateOfLastContact', t.d
           FROM unnest($1::text[], $2::text[]) AS t(p, d)
           WHERE EXISTS (SELECT 1 FROM registry_case rc WHERE rc.patient_id = t.p)
           ON CONFLICT (patient_id, case_id, item_number) DO UPDATE SET value = EXCLUDED.value
           WHERE registry_item.value < EXCLUDED.value
           RETURNING 1`,
          [[...latest.keys()], [...latest.values()]],
        );
        moved += res.rows.length;
      }
      if (settled) await writeWatermark(tx, 'follow-up:Encounter', settled);
    });
    // A full batch ending inside the settle window is read again next time, not now.
    if (rows.length < BATCH || settled !== last) return moved;
  }
}

export interface FollowUpPatient {
  patient: string;
  patientName: string;
  patientIdNumber: string | null;
  dateOfLastContact: string | null;
  /** Primary sites of the patient's analytic cases. */
  sites: string[];
}

export interface FollowUpRate {
  eligible: number;
  followed: number;
  /** followed / eligible, 0-1 (1 when nobody is eligible yet). */
  rate: number;
}

export interface FollowUpWorklist {
  due: FollowUpPatient[];
  rate: FollowUpRate;
  rateLastFiveYears: FollowUpRate;
}

/** A NAACCR date moved back by whole months (day kept; partial dates compare at their precision). */
function monthsBefore(today: string, months: number): string {
  const y = Number(today.slice(0, 4));
  const m = Number(today.slice(4, 6)) - 1 - months;
  const year = y + Math.floor(m / 12);
  const month = ((m % 12) + 12) % 12;
  return `${year}${String(month + 1).padStart(2, '0')}${today.slice(6, 8)}`;
}

function rateOf(
  patients: Array<{ dead: boolean; contact: string | undefined }>,
  since: string,
): FollowUpRate {
  const followed = patients.filter((p) => p.dead || (p.contact !== undefined && p.contact >= since)).length;
  return {
    eligible: patients.length,
    followed,
    rate: patients.length === 0 ? 1 : followed / patients.length,
  };
}

/** The yearly follow-up worklist and the follow-up rates, for the patients the caller may see. */
export async function followUpWorklist(store: FhirStore, now = new Date()): Promise<FollowUpWorklist> {
  const today = naaccrToday(now);
  const cases = await allCases(store.db);
  const names = await visiblePatientNames(
    store,
    cases.map((c) => c.patientId),
  );
  const items = await itemsOfPatients(store.db, [...names.keys()]);
  const yearAgo = monthsBefore(today, 12);
  const fifteenMonths = monthsBefore(today, 15);
  const fiveYears = monthsBefore(today, 60);
  const eligible: Array<{ dead: boolean; contact: string | undefined; recent: boolean }> = [];
  const due: FollowUpPatient[] = [];
  for (const [patientId, byCase] of items) {
    const analytic = cases.filter(
      (c) => c.patientId === patientId && isAnalytic(byCase.get(c.caseId)?.classOfCase),
    );
    if (analytic.length === 0) continue;
    const patient = byCase.get('') ?? {};
    const dead = patient.vitalStatus === '0';
    const contact = patient.dateOfLastContact;
    const recent = analytic.some((c) => (byCase.get(c.caseId)?.dateOfDiagnosis ?? '') >= fiveYears);
    eligible.push({ dead, contact, recent });
    if (!dead && (contact === undefined || contact < yearAgo))
      due.push({
        patient: `Patient/${patientId}`,
        patientName: names.get(patientId) ?? '',
        patientIdNumber: patient.patientIdNumber ?? null,
        dateOfLastContact: contact ?? null,
        sites: analytic.map((c) => byCase.get(c.caseId)?.primarySite ?? c.siteKey),
      });
  }
  due.sort(
    (a, b) =>
      (a.dateOfLastContact ?? '').localeCompare(b.dateOfLastContact ?? '') ||
      a.patient.localeCompare(b.patient),
  );
  return {
    due,
    rate: rateOf(eligible, fifteenMonths),
    rateLastFiveYears: rateOf(
      eligible.filter((e) => e.recent),
      fifteenMonths,
    ),
  };
}
