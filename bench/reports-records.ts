import type {
  AuditEvent,
  Coverage,
  DetectedIssue,
  DocumentReference,
  Encounter,
  Patient,
  Practitioner,
  Resource,
} from '@medplum/fhirtypes';
import type { Db, Queryable } from '../src/db/index.ts';
import { createUser, hashPassword } from '../src/auth/users.ts';
import { evaluateCharts } from '../src/completeness/index.ts';
import { overrideIssue } from '../src/coding/work-item.ts';
import { taskOf, type RequestRecord } from '../src/disclosure/request-task.ts';
import { addDays } from '../src/disclosure/legal-clock.ts';
import { payerOrganization } from '../src/demo/billing.ts';
import type { RequesterType, RequestStatus } from '../src/disclosure/terms.ts';
import { toAuditEvent, type AuditEntry } from '../src/fhir/audit-event.ts';
import type { FhirStore } from '../src/fhir/store.ts';
import { readCurrent, writeVersions, type VersionWrite } from '../src/fhir/unchecked-storage.ts';

/**
 * The second pass of the reports bench's store (issue #19): what the first pass (reports.bench.ts
 * `recordsOf`) left out and several reports read, so their figures are not flattered by empty
 * slices. Each record has the shape the module that writes it gives it (its own builder where one
 * is exported: `taskOf`, `overrideIssue`, `toAuditEvent`, `evaluateCharts`; otherwise a copy of its
 * shape, named where it comes from), written through the storage layer like the first pass:
 *
 * - every encounter's total charges (charge capture's extension, src/demo/billing.ts), its
 *   attending (one of 40 Practitioners) and its type (the service);
 * - ten payer Organizations and a Coverage for nine patients in ten (active; one in 25 also has
 *   an older cancelled one);
 * - a release-of-information request for one patient in 20, received over the year, most
 *   released (some late, some extended, a few denied, closed or still open);
 * - coding edit overrides (DetectedIssue) on one finalized case in five, two on some;
 * - the restricted charts (R, one patient in 40), 30 staff users, a break-the-glass grant to
 *   each restricted chart (most reviewed), and the access trail of the year: the grants, reads
 *   of a patient in four, refusals, reads of co-workers' (EMP) charts and of namesakes, and one
 *   user's unusual day;
 * - chart deficiencies of a quarter of the inpatient charts (the completeness module's own
 *   evaluation, run as of the day after discharge), most completed by the documents filed over
 *   the next weeks (evaluated again then), the rest left open (delinquent after 30 days).
 *
 * Batches of patients commit whole and are marked by a record written in them (`rb-cov-<first
 * patient>`); deficiencies go by discharge day, marked by that day's last document. A store seeded
 * before gains what it lacks; a fresh one gets both passes.
 */

const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const SNOMED = 'http://snomed.info/sct';
const LOINC = 'http://loinc.org';
const USER_SYSTEM = 'urn:custodian:user';
const TOTAL_CHARGES_URL = 'urn:custodian:fhir:total-charges';
const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const DAY_MS = 86_400_000;
const YEAR_START = Date.UTC(2025, 0, 1);

/** As reports.bench.ts places a patient's or an encounter's day. */
const dayMs = (i: number): number => YEAR_START + (i % 360) * DAY_MS;
const iso = (ms: number): string => new Date(ms).toISOString();
const date = (ms: number): string => iso(ms).slice(0, 10);

/** A stable number in [0, 1) for a seed: the records are the same on every run. */
function chance(...seed: number[]): number {
  let h = 2166136261;
  for (const n of seed) {
    h ^= n;
    h = Math.imul(h, 16777619) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 2246822519) >>> 0;
  }
  return (h >>> 0) / 2 ** 32;
}
const pick = <T>(list: readonly T[], n: number): T => list[Math.floor(n) % list.length] as T;

// ---- Who: payers, clinicians, staff users ----

const PAYERS = [
  'Medicare',
  'Ohio Medicaid',
  'Buckeye Health Plan',
  'Summit Mutual Insurance',
  'Lakeshore Blue',
  'Great Lakes HMO',
  'Tri-County Care Plan',
  'Heartland Commercial',
  'Veterans Choice',
  'Workers Compensation Fund',
].map((name, n) => ({ id: `rb-payer-${n}`, name, kind: n < 2 ? 'public' : 'commercial' }));

const CLINICIANS = 40;
const FAMILIES = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis'];
const GIVEN = ['Alex', 'Sam', 'Jordan', 'Casey', 'Riley', 'Morgan', 'Taylor', 'Jamie'];
/**
 * Practitioner n: the first 30 are also staff users (`rb-user-<n>`, tied by the urn:custodian:user
 * identifier, as the anomaly report matches them). Family names as the patients' (store.bench.ts:
 * `Smith<i/400>`...), so some staff look up a namesake.
 */
const practitionerName = (n: number): { family: string; given: string } => ({
  family: `${pick(FAMILIES, n)}${n * 7}`,
  given: pick(GIVEN, n * 3 + 1),
});
const STAFF_USERS = 30;
const staffName = (n: number): string => `rb-user-${n}`;
/** Roles of the staff users: mostly clinicians, some HIM staff. */
const staffRole = (n: number): string =>
  n % 10 === 9 ? 'him-technician' : n % 10 === 8 ? 'coder' : 'provider';

function practitioner(n: number): Practitioner & { id: string } {
  const { family, given } = practitionerName(n);
  return {
    resourceType: 'Practitioner',
    id: `rb-prac-${n}`,
    active: true,
    ...(n < STAFF_USERS ? { identifier: [{ system: USER_SYSTEM, value: staffName(n) }] } : {}),
    name: [{ family, given: [given], prefix: ['Dr.'] }],
    address: [{ line: [`${100 + n} Main Street`], city: 'Columbus', postalCode: '43215' }],
  };
}

/** Each staff user's own chart: a patient labelled EMP (employee), so a co-worker's look is flagged. */
function staffChart(n: number): Patient & { id: string } {
  const { family, given } = practitionerName(n);
  return {
    resourceType: 'Patient',
    id: `rb-staff-${n}`,
    meta: { security: [{ system: ACT, code: 'EMP', display: 'employee' }] },
    identifier: [{ system: 'urn:custodian:mrn', value: `S${n}` }],
    name: [{ family, given: [given] }],
    gender: n % 2 ? 'male' : 'female',
    birthDate: `19${60 + (n % 30)}-0${1 + (n % 9)}-1${n % 10}`,
  };
}

async function missing(store: FhirStore, type: string, ids: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const id of ids) if (!(await store.exists(type, id))) out.add(id);
  return out;
}

/** Payers, Practitioners, staff charts and staff users, once. Answers user name -> user id. */
async function seedPeople(db: Db, store: FhirStore): Promise<Map<string, string>> {
  const people: Array<Resource & { id: string }> = [
    ...PAYERS.map(payerOrganization),
    ...Array.from({ length: CLINICIANS }, (_, n) => practitioner(n)),
    ...Array.from({ length: STAFF_USERS }, (_, n) => staffChart(n)),
  ];
  const writes: VersionWrite[] = [];
  for (const resource of people)
    if ((await missing(store, resource.resourceType, [resource.id])).size > 0)
      writes.push({ resource, previousVersion: 0, deleted: false });
  if (writes.length > 0) await db.transaction((tx) => writeVersions(tx, writes));
  const users = new Map<string, string>();
  const have = await db.query<{ id: string; username: string }>(
    `SELECT id, username FROM app_user WHERE username LIKE 'rb-user-%'`,
  );
  for (const r of have.rows) users.set(r.username, r.id);
  // argon2 costs half a second a hash: the staff share one (they never sign in here).
  let hash: string | undefined;
  for (let n = 0; n < STAFF_USERS; n++) {
    if (users.has(staffName(n))) continue;
    hash ??= await hashPassword('bench-staff-password-1');
    const user = await createUser(
      db,
      { username: staffName(n), password: 'bench-staff-password-1', role: staffRole(n) },
      hash,
    );
    users.set(user.username, user.id);
  }
  return users;
}

// ---- Per patient: the encounters' charges, coverage, release requests, overrides ----

const SERVICES: Record<string, Array<{ code: string; display: string }>> = {
  IMP: [
    { code: '32485007', display: 'Hospital admission' },
    { code: '183452005', display: 'Emergency hospital admission' },
  ],
  EMER: [{ code: '50849002', display: 'Emergency room admission' }],
  AMB: [
    { code: '185349003', display: 'Encounter for check up' },
    { code: '390906007', display: 'Follow-up encounter' },
    { code: '11429006', display: 'Consultation' },
  ],
};

/** Charge capture's total (src/demo/billing.ts chargesFor): a stay per day inpatient, a visit otherwise. */
function chargesFor(cls: string, k: number): number {
  const r = chance(k, 11);
  if (cls === 'IMP') return 6_000 + Math.round(r * 5_000) + Math.round(chance(k, 12) * 4) * 3_100;
  if (cls === 'EMER') return 850 + Math.round(r * 3_750);
  return 140 + Math.round(r * 580);
}

/** The encounter as charge capture and registration leave it: attending, service, total charges. */
function billedEncounter(current: Encounter & { id: string }, k: number): Encounter & { id: string } {
  const cls = current.class.code ?? 'AMB';
  const service = pick(SERVICES[cls] ?? SERVICES.AMB ?? [], k >> 2);
  const attending = practitioner(k % CLINICIANS);
  const { family, given } = practitionerName(k % CLINICIANS);
  return {
    ...current,
    type: [{ coding: [{ system: SNOMED, ...service }], text: service.display }],
    participant: [
      {
        type: [
          {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
                code: 'ATND',
                display: 'attender',
              },
            ],
          },
        ],
        individual: { reference: `Practitioner/${attending.id}`, display: `Dr. ${given} ${family}` },
      },
    ],
    extension: [
      ...(current.extension ?? []).filter((e) => e.url !== TOTAL_CHARGES_URL),
      { url: TOTAL_CHARGES_URL, valueMoney: { value: chargesFor(cls, k), currency: 'USD' } },
    ],
  };
}

/** As src/demo/billing.ts coverage(): a payer's Coverage, or self-pay (one patient in ten of them). */
function coverageOf(i: number, id: string, status: Coverage['status']): Coverage & { id: string } {
  const patient = `Patient/bench-${i}`;
  const selfPay = i % 10 === 3;
  const payer = pick(PAYERS, (i * 7 + (status === 'active' ? 0 : 3)) % 97);
  return {
    resourceType: 'Coverage',
    id,
    status,
    type: selfPay
      ? {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/coverage-selfpay', code: 'pay', display: 'PAY' },
          ],
          text: 'Self-pay',
        }
      : {
          coding: [
            payer.kind === 'commercial'
              ? { system: ACT, code: 'EHCPOL', display: 'extended healthcare' }
              : { system: ACT, code: 'PUBLICPOL', display: 'public healthcare' },
          ],
          text: payer.kind === 'commercial' ? 'Commercial' : payer.name,
        },
    ...(selfPay ? {} : { subscriberId: `${payer.id.slice(-1)}${String(i).padStart(9, '0')}` }),
    beneficiary: { reference: patient },
    relationship: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }],
    },
    payor: [
      selfPay
        ? { reference: patient, display: 'Self-pay' }
        : { reference: `Organization/${payer.id}`, display: payer.name },
    ],
    order: 1,
  };
}

const REQUESTERS: RequesterType[] = [
  'patient',
  'provider',
  'attorney',
  'payer',
  'personal-representative',
  'patient',
];
const PURPOSE: Record<RequesterType, string> = {
  patient: 'personal',
  'personal-representative': 'personal',
  provider: 'treatment',
  payer: 'payment',
  attorney: 'legal',
  'law-enforcement': 'law-enforcement',
  'court-order': 'judicial',
  subpoena: 'judicial',
  'public-health': 'public-health',
};

/**
 * Patient i's release request (one in 20), through src/disclosure's own `taskOf`: received on the
 * patient's day; most released 2 to 45 days later (the 30-day clock, once extended by 30 for one
 * in ten), some closed after release, denied, or still open late in the year.
 */
function roiRequest(i: number): RequestRecord {
  const receivedMs = dayMs((i / 20) * 7);
  const received = date(receivedMs);
  const requesterType = pick(REQUESTERS, i / 20);
  const r = chance(i, 21);
  const openLate = receivedMs > Date.UTC(2025, 10, 15) && r < 0.5;
  const status: RequestStatus = openLate
    ? pick(['logged', 'pending-authorization', 'in-review'] as const, i / 20)
    : r < 0.05
      ? 'denied'
      : r < 0.1
        ? 'closed'
        : 'released';
  const firstDueDate = addDays(received, 30);
  const extended = chance(i, 22) < 0.1;
  const dueDate = extended ? addDays(firstDueDate, 30) : firstDueDate;
  const turnaround = 2 + Math.floor(chance(i, 23) ** 1.5 * (extended ? 55 : 43));
  const releasedAt = iso(receivedMs + turnaround * DAY_MS + 15 * 3_600_000);
  const released = status === 'released' || (status === 'closed' && r < 0.08);
  return {
    id: `rb-roi-${i}`,
    patientId: `bench-${i}`,
    requesterType,
    recipient: requesterType === 'patient' ? 'The patient' : `Requester ${i % 97}`,
    purpose: PURPOSE[requesterType],
    received,
    status,
    firstDueDate,
    dueDate,
    ...(extended
      ? { extension: { notice: 'Records in off-site storage', noticeSent: addDays(received, 25) } }
      : {}),
    scope: { from: '2024-01-01', types: ['Encounter', 'Condition'] },
    delivery: ['pdf'],
    ...(status === 'denied' ? { denialReason: 'No valid authorization' } : {}),
    ...(status === 'closed' ? { closeReason: 'The requester withdrew the request' } : {}),
    ...(released
      ? {
          released: {
            at: releasedAt,
            pages: 12,
            records: 9,
            withheld: 0,
            fee: { amountCents: 650, amount: '6.50', currency: 'USD', basis: 'flat fee' },
          },
        }
      : {}),
  };
}

const EDIT_KINDS = ['excludes1', 'not-valid-for-date', 'header-code', 'placeholder-missing', 'poa-missing'];

/**
 * Overrides given when encounter k (final) was finalized, one case in five (k % 30 === 0), two
 * on one in three of those: the coding workflow's own `overrideIssue`, by the coder who owns the
 * work item (reports.bench.ts), at the finalization time (the Task's lastModified).
 */
function overridesOf(i: number, k: number): DetectedIssue[] {
  if (k % 30 !== 0) return [];
  const count = k % 90 === 0 ? 2 : 1;
  return Array.from({ length: count }, (_, n) =>
    overrideIssue(
      {
        kind: pick(EDIT_KINDS, k / 30 + n),
        codes: n === 0 ? ['E11.9', 'I10'] : ['J18.9'],
        reason: 'Documented by the attending; reviewed with CDI',
      },
      n,
      { encounterId: `rb-enc-${k}`, patientId: `bench-${i}`, coder: `coder-${k % 12}`, now: iso(dayMs(k)) },
    ),
  );
}

// ---- Privacy: restricted charts, break-the-glass, the access trail ----

const isRestricted = (i: number): boolean => i % 40 === 20;

interface Staff {
  username: string;
  userId: string;
  role: string;
}

function staffOf(users: Map<string, string>, n: number): Staff {
  const s = Math.floor(n) % STAFF_USERS;
  return { username: staffName(s), userId: users.get(staffName(s)) ?? '', role: staffRole(s) };
}

/** An AuditEvent as the store records an access (src/fhir/audit-event.ts), at a time of the year. */
function accessEvent(
  id: string,
  at: number,
  staff: Staff,
  entry: Partial<AuditEntry> & Pick<AuditEntry, 'action'>,
): AuditEvent & { id: string } {
  return toAuditEvent(
    id,
    {
      outcome: 'success',
      username: staff.username,
      userId: staff.userId,
      role: staff.role as AuditEntry['role'],
      purpose: 'TREAT',
      sourceAddress: `10.0.${staff.username.length}.${at % 200}`,
      ...entry,
    },
    iso(at),
  ) as AuditEvent & { id: string };
}

const readOf = (patient: string): Partial<AuditEntry> => ({
  patientIds: [patient],
  entities: [`Patient/${patient}`],
  query: `GET /fhir/R4/Patient/${patient}`,
});

/** Patient i's accesses over the year: a read by staff for one in four, a refusal now and then. */
function accessesOf(i: number, users: Map<string, string>): Array<AuditEvent & { id: string }> {
  const out: Array<AuditEvent & { id: string }> = [];
  const patient = `bench-${i}`;
  // The m-th read is staff m % 30's; 211 days apart per user, so each user's reads spread over
  // the whole year (a user's reads bunched on a few days would each be an "unusual volume").
  const m = Math.floor(i / 4);
  const at = dayMs(m * 7 + Math.floor(m / 30)) + (8 + (i % 10)) * 3_600_000;
  if (i % 4 === 0)
    out.push(
      accessEvent(`rb-ae-read-${i}`, at, staffOf(users, i / 4), { action: 'read', ...readOf(patient) }),
    );
  if (i % 97 === 0)
    out.push(
      accessEvent(`rb-ae-denied-${i}`, at + 60_000, staffOf(users, i), {
        action: 'read',
        outcome: 'denied',
        ...readOf(patient),
        detail: 'Restricted record',
      }),
    );
  return out;
}

/**
 * Restricted patient i's break-the-glass: the grant (src/auth break_glass's columns, as
 * `breakGlass` writes them, at a time of the year; reviewed for most, as `reviewBreakGlass`
 * records it), its audit entry (as POST /auth/break-glass records it) and the read it allowed.
 */
function glassOf(
  i: number,
  users: Map<string, string>,
): {
  grant: {
    id: string;
    userId: string;
    patientId: string;
    reason: string;
    grantedAt: string;
    reviewedAt: string | null;
  };
  events: Array<AuditEvent & { id: string }>;
} {
  const staff = staffOf(users, i / 40);
  const patient = `bench-${i}`;
  const m = Math.floor(i / 40);
  // As the reads: each user's grants spread over the year.
  const at = dayMs(m * 7 + Math.floor(m / 30) + 3) + (1 + (i % 20)) * 3_600_000;
  const reviewed = chance(i, 31) < 0.85;
  const reason = 'Emergency department: patient unresponsive, history needed';
  return {
    grant: {
      id: `rb-glass-${i}`,
      userId: staff.userId,
      patientId: patient,
      reason,
      grantedAt: iso(at),
      reviewedAt: reviewed ? iso(at + (1 + Math.floor(chance(i, 32) * 6)) * DAY_MS) : null,
    },
    events: [
      accessEvent(`rb-ae-glass-${i}`, at, staff, {
        action: 'break-glass',
        purpose: 'ETREAT',
        patientIds: [patient],
        detail: `break the glass: ${reason}`,
      }),
      accessEvent(`rb-ae-glassread-${i}`, at + 30_000, staff, {
        action: 'read',
        purpose: 'ETREAT',
        ...readOf(patient),
      }),
    ],
  };
}

/** The year's looks at co-workers' charts and at namesakes, and one user's unusual day (60 reads on 2025-10-14). */
function staffEvents(users: Map<string, string>, patients: number): Array<AuditEvent & { id: string }> {
  const out: Array<AuditEvent & { id: string }> = [];
  for (let n = 0; n < STAFF_USERS; n++)
    if (n % 3 === 0)
      out.push(
        accessEvent(`rb-ae-emp-${n}`, dayMs(n * 12) + 10 * 3_600_000, staffOf(users, n + 1), {
          action: 'read',
          ...readOf(`rb-staff-${n}`),
        }),
      );
  // Namesakes: staff n's family name is `<family n % 8><7n>`, as patient 2800n + n % 8's
  // (store.bench.ts names patient i `<family i % 20><i / 400>`, its first eight families these).
  for (let n = 0; n < STAFF_USERS; n += 2) {
    const i = 2800 * n + (n % 8);
    if (i < patients)
      out.push(
        accessEvent(`rb-ae-namesake-${n}`, dayMs(n * 17) + 11 * 3_600_000, staffOf(users, n), {
          action: 'read',
          ...readOf(`bench-${i}`),
        }),
      );
  }
  const busy = staffOf(users, 5);
  const day = Date.UTC(2025, 9, 14, 9);
  for (let r = 0; r < 60; r++)
    out.push(
      accessEvent(`rb-ae-busy-${r}`, day + r * 300_000, busy, {
        action: 'read',
        ...readOf(`bench-${(r * 1201 + 7) % patients}`),
      }),
    );
  return out;
}

async function insertGrants(
  tx: Queryable,
  grants: Array<ReturnType<typeof glassOf>['grant']>,
): Promise<void> {
  if (grants.length === 0) return;
  // break_glass is src/auth's grant table (migration 0102): `breakGlass` stamps now(), so the
  // year's grants are written with their own times; expiry as BREAK_GLASS_MINUTES gives.
  await tx.query(
    `INSERT INTO break_glass (id, user_id, patient_id, reason, granted_at, expires_at, reviewed_by, reviewed_at, review_note)
     SELECT g.id, g.u, g.p, g.r, g.at, g.at + interval '30 minutes',
            CASE WHEN g.rev IS NULL THEN NULL ELSE 'rb-privacy-officer' END, g.rev,
            CASE WHEN g.rev IS NULL THEN NULL ELSE 'Reviewed: emergency access justified' END
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[])
            AS g(id, u, p, r, at, rev)
     ON CONFLICT (id) DO NOTHING`,
    [
      grants.map((g) => g.id),
      grants.map((g) => g.userId),
      grants.map((g) => g.patientId),
      grants.map((g) => g.reason),
      grants.map((g) => g.grantedAt),
      grants.map((g) => g.reviewedAt),
    ],
  );
}

// ---- The pass over patients ----

async function current<T extends Resource>(
  q: Queryable,
  type: string,
  id: string,
): Promise<{ resource: T & { id: string }; version: number } | undefined> {
  const row = await readCurrent(q, type, id);
  if (!row?.content || row.deleted) return undefined;
  return { resource: row.content as T & { id: string }, version: Number(row.version_id) };
}

/** The second pass's writes for patients start..end-1. */
async function batchWrites(
  db: Db,
  start: number,
  end: number,
  users: Map<string, string>,
): Promise<{ writes: VersionWrite[]; grants: Array<ReturnType<typeof glassOf>['grant']> }> {
  const writes: VersionWrite[] = [];
  const grants: Array<ReturnType<typeof glassOf>['grant']> = [];
  const add = (resource: Resource & { id: string }, previousVersion = 0): void => {
    writes.push({ resource, previousVersion, deleted: false });
  };
  for (let i = start; i < end; i++) {
    for (const k of [i * 2, i * 2 + 1]) {
      const enc = await current<Encounter>(db, 'Encounter', `rb-enc-${k}`);
      if (enc && !enc.resource.extension?.some((e) => e.url === TOTAL_CHARGES_URL))
        add(billedEncounter(enc.resource, k), enc.version);
      // Final: k % 6 === 0 (reports.bench.ts).
      if (k % 6 === 0) for (const issue of overridesOf(i, k)) add(issue as DetectedIssue & { id: string });
    }
    if (i % 10 !== 7) add(coverageOf(i, `rb-cov-${i}`, 'active'));
    if (i % 25 === 3) add(coverageOf(i, `rb-cov-old-${i}`, 'cancelled'));
    if (i % 20 === 0) add(taskOf(roiRequest(i)));
    for (const event of accessesOf(i, users)) add(event);
    if (isRestricted(i)) {
      const patient = await current<Patient>(db, 'Patient', `bench-${i}`);
      if (patient && !patient.resource.meta?.security?.length)
        add(
          {
            ...patient.resource,
            meta: { security: [{ system: CONFIDENTIALITY, code: 'R', display: 'restricted' }] },
          },
          patient.version,
        );
      const glass = glassOf(i, users);
      grants.push(glass.grant);
      for (const event of glass.events) add(event);
    }
  }
  // The marker goes last: the batch's records are all there once it is (one transaction anyway).
  const marker = writes.findIndex((w) => w.resource.id === `rb-cov-${start}`);
  if (marker >= 0) writes.push(...writes.splice(marker, 1));
  return { writes, grants };
}

// ---- Deficiencies, by discharge day ----

/** Inpatient encounters (k % 3 === 0, reports.bench.ts) discharged on day d of 2025, one in four. */
function chartsOfDay(d: number, patients: number): string[] {
  const ids: string[] = [];
  for (let k = d, m = 0; k < patients * 2; k += 360, m++)
    if (k % 3 === 0 && m % 4 === 0) ids.push(`rb-enc-${k}`);
  return ids;
}

/** The H&P and the discharge summary of a chart, filed and signed by its attending (as src/completeness/demo-charts.ts files notes). */
function chartNotes(
  encounterId: string,
  k: number,
  filedMs: number,
): Array<DocumentReference & { id: string }> {
  const attending = `Practitioner/rb-prac-${k % CLINICIANS}`;
  const patient = `Patient/bench-${Math.floor(k / 2)}`;
  const note = (code: string, display: string): DocumentReference & { id: string } => ({
    resourceType: 'DocumentReference',
    id: `rb-doc-${code}-${k}`,
    status: 'current',
    docStatus: 'final',
    type: { coding: [{ system: LOINC, code, display }], text: display },
    subject: { reference: patient },
    date: iso(filedMs),
    author: [{ reference: attending }],
    authenticator: { reference: attending },
    description: display,
    content: [{ attachment: { contentType: 'text/plain', title: display, creation: iso(filedMs) } }],
    context: { encounter: [{ reference: `Encounter/${encounterId}` }] },
  });
  return [note('34117-2', 'History and physical note'), note('18842-5', 'Discharge summary')];
}

/**
 * Day d's charts: evaluated the day after discharge (two deficiencies each: no H&P, no discharge
 * summary yet), then the notes of 60% filed and evaluated 5 days after discharge, of 25% more
 * 20 days after; the last 15% stay open. Skipped when the day's last note is there.
 */
async function seedDeficienciesOfDay(db: Db, store: FhirStore, d: number, patients: number): Promise<number> {
  const charts = chartsOfDay(d, patients);
  if (charts.length === 0) return 0;
  const k = (id: string): number => Number(id.slice('rb-enc-'.length));
  const waves = [
    { days: 5, charts: charts.filter((id) => chance(k(id), 41) < 0.6) },
    { days: 20, charts: charts.filter((id) => chance(k(id), 41) >= 0.6 && chance(k(id), 41) < 0.85) },
  ];
  const lastWave = waves[1]?.charts ?? [];
  const last = lastWave[lastWave.length - 1];
  if (last && (await store.exists('DocumentReference', `rb-doc-18842-5-${k(last)}`))) return 0;
  const discharged = dayMs(d);
  await evaluateCharts(store, charts, new Date(discharged + DAY_MS + 9 * 3_600_000));
  for (const wave of waves) {
    if (wave.charts.length === 0) continue;
    const filed = discharged + (wave.days - 1) * DAY_MS + 14 * 3_600_000;
    const writes = wave.charts.flatMap((id) =>
      chartNotes(id, k(id), filed).map((resource): VersionWrite => ({
        resource,
        previousVersion: 0,
        deleted: false,
      })),
    );
    await db.transaction((tx) => writeVersions(tx, writes));
    await evaluateCharts(store, wave.charts, new Date(discharged + wave.days * DAY_MS + 9 * 3_600_000));
  }
  return charts.length;
}

/**
 * The second pass (see the top of this file), for `patients` patients already holding the first
 * pass's records. `store` must see every record (a system context). Answers whether it wrote.
 */
export async function seedMoreReportData(
  db: Db,
  store: FhirStore,
  patients: number,
  log: (s: string) => void,
): Promise<boolean> {
  const users = await seedPeople(db, store);
  const batch = 500;
  let wrote = false;
  for (let start = 0; start < patients; start += batch) {
    const end = Math.min(patients, start + batch);
    if (await store.exists('Coverage', `rb-cov-${start}`)) continue;
    const { writes, grants } = await batchWrites(db, start, end, users);
    await db.transaction(async (tx) => {
      await writeVersions(tx, writes);
      await insertGrants(tx, grants);
    });
    wrote = true;
    if ((start / batch) % 20 === 0)
      log(`reports bench: charges, coverage, requests, overrides, access of ${end} patients written`);
  }
  const staff = staffEvents(users, patients);
  const last = staff[staff.length - 1];
  // The system role may not read the trail through the store; the storage layer tells.
  if (last && !(await readCurrent(db, 'AuditEvent', last.id))) {
    await db.transaction((tx) =>
      writeVersions(
        tx,
        staff.map((resource) => ({ resource, previousVersion: 0, deleted: false })),
      ),
    );
    wrote = true;
  }
  let charts = 0;
  for (let d = 0; d < 360; d++) {
    charts += await seedDeficienciesOfDay(db, store, d, patients);
    if (d % 30 === 29 && charts > 0)
      log(`reports bench: deficiencies of ${charts} charts to day ${d + 1} evaluated`);
  }
  return wrote || charts > 0;
}
