import type { Address, Patient, Practitioner } from '@medplum/fhirtypes';
import type { FhirStore } from '../fhir/store.ts';
import { isAllowed } from '../shared/index.ts';
import type { Criterion } from '../fhir/search/typed.ts';
import { tallyRecords, type TallyKey, type TallyRow } from '../fhir/tally.ts';
import { isoDay, type Cell, type ReportDefinition, type ReportParams } from './definition.ts';
import { USER_SYSTEM } from './record-terms.ts';

/**
 * The simple anomaly flags a privacy officer expects (FairWarning / Protenus style, kept simple):
 * a user looking at a patient who shares their family name (and address, when both are known), a
 * user looking at a co-worker's chart (a patient labelled EMP, employee), and a day's volume far
 * above the user's own baseline. Users are matched to their Practitioner record by its
 * `urn:custodian:user` identifier, which is where their own name and address are kept.
 */

const DAY_MS = 86_400_000;
/** Days before `from` that make a user's baseline. */
export const BASELINE_DAYS = 30;
/** A day is unusual from this many accesses and more than VOLUME_FACTOR times the user's mean day. */
export const VOLUME_FLOOR = 20;
export const VOLUME_FACTOR = 3;
const EMPLOYEE = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMP' };

type Flag = [flag: string, user: string, patient: string | null, day: string | null, detail: string];

async function volumeFlags(store: FhirStore, params: ReportParams): Promise<Flag[]> {
  const start = isoDay(Date.parse(params.from) - BASELINE_DAYS * DAY_MS);
  const rows = await tallyRecords(store, {
    type: 'AuditEvent',
    where: [
      { param: 'date', date: start, prefix: 'ge' },
      { param: 'date', date: params.to, prefix: 'le' },
    ],
    by: [{ token: 'agent:identifier' }, { date: 'date', unit: 'day' }],
  });
  const byUser = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const [user, day] = r.keys;
    if (!user || !day) continue;
    const days = byUser.get(user) ?? new Map<string, number>();
    days.set(day, (days.get(day) ?? 0) + r.count);
    byUser.set(user, days);
  }
  const flags: Flag[] = [];
  for (const [user, days] of byUser) {
    for (const [day, count] of days) {
      if (day < params.from || day > params.to || count < VOLUME_FLOOR) continue;
      const first = isoDay(Date.parse(day) - BASELINE_DAYS * DAY_MS);
      let before = 0;
      for (const [d, n] of days) if (d >= first && d < day) before += n;
      const mean = before / BASELINE_DAYS;
      if (count > VOLUME_FACTOR * mean)
        flags.push([
          'unusual volume',
          user,
          null,
          day,
          `${count} accesses against a mean of ${mean.toFixed(1)} a day over the ${BASELINE_DAYS} days before`,
        ]);
    }
  }
  return flags;
}

const norm = (s: string | undefined): string => (s ?? '').trim().toLowerCase();
const addressKey = (a: Address[] | undefined): string => {
  const first = a?.[0];
  return first ? norm([...(first.line ?? []), first.postalCode].filter(Boolean).join(' ')) : '';
};
const familyOf = (r: Patient | Practitioner): string => norm(r.name?.[0]?.family);

/** Staff by user name: the Practitioners that carry a `urn:custodian:user` identifier. */
async function staffByUser(store: FhirStore): Promise<Map<string, Practitioner>> {
  const found = await store.findAll({
    type: 'Practitioner',
    where: [{ param: 'identifier', tokens: [{ system: USER_SYSTEM }] }],
  });
  const staff = new Map<string, Practitioner>();
  for (const r of found.matches as Practitioner[])
    for (const id of r.identifier ?? []) if (id.system === USER_SYSTEM && id.value) staff.set(id.value, r);
  return staff;
}

/** An accessed patient (AuditEvent `patient`) who is a Patient matching `where`. */
const patientWho = (where: Criterion): Criterion => ({
  param: 'patient',
  chain: { type: 'Patient', where },
});

/**
 * Who looked at whom, among the looks that may raise a flag: at an employee's chart, or at a
 * patient whose family name starts like a staff member's (the database narrows, the names are
 * compared here). Counted per user and patient in the database, so only those few pairs (never
 * every patient the staff saw) come back, and only their patients are read.
 */
async function relationFlags(store: FhirStore, params: ReportParams): Promise<Flag[]> {
  const looks: Criterion[] = [
    { param: 'date', date: params.from, prefix: 'ge' },
    { param: 'date', date: params.to, prefix: 'le' },
    { param: 'outcome', tokens: [{ code: '0' }] },
  ];
  const by: TallyKey[] = [{ token: 'agent:identifier' }, { reference: 'patient' }];
  const pairsWhere = async (who: Criterion): Promise<TallyRow[]> =>
    (await tallyRecords(store, { type: 'AuditEvent', where: [...looks, patientWho(who)], by })).filter(
      (p) => p.keys[0] && p.keys[1],
    );
  const onEmployees = await pairsWhere({ param: '_security', tokens: [{ ...EMPLOYEE }] });
  const staff = await staffByUser(store);
  const families = [...new Set([...staff.values()].map(familyOf).filter(Boolean))];
  const onNamesakes = families.length > 0 ? await pairsWhere({ param: 'family', strings: families }) : [];
  // Only the namesakes looked at by a user whose own name we know need reading.
  const wanted = onNamesakes.filter((p) => staff.has(p.keys[0] ?? '')).map((p) => p.keys[1] ?? '');
  const patients = new Map(
    ((await store.readMany('Patient', [...new Set(wanted)])) as Patient[]).map(
      (p) => [p.id ?? '', p] as const,
    ),
  );
  const employees = new Set(onEmployees.map((p) => p.keys[1] ?? ''));
  // Each pair once, as one tally would list them: most looks first.
  const pairs = new Map<string, TallyRow>();
  for (const p of [...onEmployees, ...onNamesakes]) pairs.set(JSON.stringify(p.keys), p);
  const seen = [...pairs.values()].sort(
    (a, b) =>
      b.count - a.count ||
      (a.keys[0] ?? '').localeCompare(b.keys[0] ?? '') ||
      (a.keys[1] ?? '').localeCompare(b.keys[1] ?? ''),
  );
  const flags: Flag[] = [];
  for (const pair of seen) {
    const user = pair.keys[0] ?? '';
    const patientId = pair.keys[1] ?? '';
    const times = `${pair.count} access${pair.count === 1 ? '' : 'es'}`;
    if (employees.has(patientId))
      flags.push(["co-worker's chart", user, patientId, null, `${times} to an employee's chart`]);
    const self = staff.get(user);
    const patient = patients.get(patientId);
    if (!self || !patient || !familyOf(self) || familyOf(self) !== familyOf(patient)) continue;
    const sameAddress =
      addressKey(self.address) !== '' && addressKey(self.address) === addressKey(patient.address);
    flags.push([
      sameAddress ? 'same family name and address' : 'same family name',
      user,
      patientId,
      null,
      `${times} to a patient named ${patient.name?.[0]?.family ?? ''}`,
    ]);
  }
  return flags;
}

export const anomalies: ReportDefinition = {
  name: 'anomalies',
  title: 'Anomaly flags',
  description:
    'Users viewing a patient with their family name (and address), viewing an employee-labelled chart, or ' +
    `far above their own baseline (${VOLUME_FLOOR}+ accesses and over ${VOLUME_FACTOR}x their mean day).`,
  audience: 'PrivacyReport',
  columns: [
    { name: 'flag', label: 'Flag', type: 'text' },
    { name: 'user', label: 'User', type: 'text' },
    { name: 'patient', label: 'Patient', type: 'text' },
    { name: 'day', label: 'Day', type: 'date' },
    { name: 'detail', label: 'Detail', type: 'text' },
  ],
  filters: {},
  defaultDays: 29,
  async run({ store }, params) {
    // Relations need the patients' and staff's names: roles that read only the audit trail (the
    // auditor) get the volume flags alone.
    const mayRelate =
      isAllowed(store.ctx.role, 'Patient', 'search') && isAllowed(store.ctx.role, 'Practitioner', 'search');
    const flags = [
      ...(mayRelate ? await relationFlags(store, params) : []),
      ...(await volumeFlags(store, params)),
    ];
    return flags.map((f): Cell[] => [...f]);
  },
};
