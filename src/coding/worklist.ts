import type { Coverage, Encounter, Organization, Patient, Task } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcomes.ts';
import type { Criterion, SearchSpec } from '../fhir/search/typed.ts';
import type { FhirStore } from '../fhir/store.ts';
import { tallyRecords } from '../fhir/tally.ts';
import {
  ageAt,
  CLASS_CODES,
  classLabel,
  mrnOf,
  patientIdOf,
  patientName,
  type EncounterClassLabel,
} from './encounter-context.ts';
import {
  ownerOf,
  STATE_SYSTEM,
  stateOf,
  TASK_CODE,
  TASK_SYSTEM,
  taskIdFor,
  USER_SYSTEM,
  type CodingState,
} from './work-item.ts';

/**
 * The coder's worklist: discharged encounters (status finished, with an end time) whose coding is
 * not final, i.e. discharged-not-final-billed (DNFB), oldest discharge first. Every filter, the
 * total, the order and the page are one indexed search in the database (the Encounter's
 * coding-state tag, chains to the patient and its Coverage, reverse chains from the work item),
 * run as a broad search (each index slice read once, joined by hash: the worklist is most
 * finished encounters); only the page shown is read, so the audit trail names only the patients
 * on it. The filter menus come from tallies (counts per value), not from records, and only when
 * asked: they do not change from page to page.
 */

export interface WorklistItem {
  encounterId: string;
  patientId: string;
  patientName: string;
  mrn?: string | undefined;
  class: EncounterClassLabel;
  /** The hospital service / visit type (Encounter.type). */
  service?: string | undefined;
  /** Age at admission in whole years. */
  age?: number | undefined;
  /** The patient's primary payer (Coverage.payor), when registered. */
  payer?: string | undefined;
  admit?: string | undefined;
  discharge: string;
  /** Whole days since discharge: the DNFB age. */
  dnfbDays: number;
  state: Exclude<CodingState, 'final'>;
  /** The coder the case is assigned to (claimed, assigned, or last worked on it). */
  coder?: string | undefined;
  lastModified?: string | undefined;
}

/**
 * The orders the database can give through the typed search. Patient name, age, payer and coder
 * are not among them: each lives on another record (Patient, Coverage, Task), and the store sorts
 * only by the searched record's own index values.
 */
export const WORKLIST_SORTS = ['discharge', '-discharge', 'class', 'service'] as const;
export type WorklistSort = (typeof WORKLIST_SORTS)[number];

export interface WorklistOptions {
  limit?: number | undefined;
  offset?: number | undefined;
  state?: 'uncoded' | 'coded' | undefined;
  class?: EncounterClassLabel | undefined;
  /** A service (Encounter.type) code, as the facets list them and the reports name them. */
  service?: string | undefined;
  ageMin?: number | undefined;
  ageMax?: number | undefined;
  /** Whole days since discharge (the DNFB age), inclusive bounds. */
  dnfbMin?: number | undefined;
  dnfbMax?: number | undefined;
  /**
   * A payer Organization id (as the reports name payers), `self-pay`, or `none` for patients
   * without an active Coverage.
   */
  payer?: string | undefined;
  /** A user name; "unassigned" for cases nobody holds. */
  coder?: string | undefined;
  sort?: WorklistSort | undefined;
  now?: Date | undefined;
  /** Also the filter menus' values (a screen asks once, when it opens, and keeps them). */
  facets?: boolean | undefined;
}

/** One value of a filter menu: what the filter takes and what the menu shows. */
export interface WorklistFacet {
  value: string;
  label: string;
}

/** The values the filter menus offer. */
export interface WorklistFacets {
  /** The services of the worklist's encounters (whatever the filters). */
  services: WorklistFacet[];
  /** The payers of active coverages, plus self-pay. */
  payers: WorklistFacet[];
  /** The coders holding open work items. */
  coders: WorklistFacet[];
}

export const WORKLIST_MAX = 1000;
const DAY_MS = 86_400_000;
export const SELF_PAY = 'self-pay';
const PAYER_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The worklist's search: finished encounters with a discharge time, by their coding-state tag. */
function baseWhere(state: WorklistOptions['state']): Criterion[] {
  const where: Criterion[] = [
    { param: 'status', tokens: [{ code: 'finished' }] },
    // An end time: an open period ends at infinity, which no date ends before.
    { param: 'date', date: '9999-12-31', prefix: 'eb' },
  ];
  const tag = (code: CodingState, not: boolean): Criterion => ({
    param: '_tag',
    tokens: [{ system: STATE_SYSTEM, code }],
    not,
  });
  if (state === 'coded') where.push(tag('coded', false));
  else {
    where.push(tag('final', true));
    if (state === 'uncoded') where.push(tag('coded', true));
  }
  return where;
}

export function parseWorklistState(value: string | undefined): WorklistOptions['state'] {
  if (value === undefined || value === '') return undefined;
  if (value !== 'uncoded' && value !== 'coded') throw badRequest('state must be uncoded or coded', ['state']);
  return value;
}

/** How many encounters wait for final coding (the home page tile). */
export async function worklistCount(store: FhirStore, state?: WorklistOptions['state']): Promise<number> {
  return store.count({ type: 'Encounter', where: baseWhere(state) }, { broad: true });
}

/** One page of the filtered worklist, with the total and, when asked, the filter menus' values. */
export interface WorklistPage {
  total: number;
  offset: number;
  items: WorklistItem[];
  facets?: WorklistFacets;
}

const onPatient = (where: Criterion): Criterion => ({ param: 'subject', chain: { type: 'Patient', where } });
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** `years` whole years before `now`, as a date (Feb 29 rolls to Mar 1 in other years). */
function yearsBefore(now: Date, years: number): string {
  const d = new Date(now.getTime());
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return isoDay(d.getTime());
}

function payerCriterion(payer: string): Criterion {
  if (payer === 'none') {
    return onPatient({
      param: 'beneficiary',
      has: { type: 'Coverage', where: { param: 'status', tokens: [{ code: 'active' }] } },
      not: true,
    });
  }
  if (!PAYER_ID.test(payer))
    throw badRequest('payer must be a payer Organization id, self-pay or none', ['payer']);
  // An active Coverage of the payer, as the reports filter (src/reports/encounter-filters.ts); the
  // row shows the primary (lowest order) one, which differs only for patients with two payers.
  const coverage: Criterion[] = [
    payer === SELF_PAY
      ? { param: 'type', tokens: [{ code: 'pay' }] }
      : { param: 'payor', references: [`Organization/${payer}`] },
    { param: 'status', tokens: [{ code: 'active' }] },
  ];
  return onPatient({ param: 'beneficiary', has: { type: 'Coverage', where: coverage } });
}

function coderCriterion(coder: string): Criterion {
  // The work item names its coder by identifier (urn:custodian:user|<name>); no work item, or one
  // without an owner, is a case nobody holds.
  const owner = (code?: string): Criterion => ({
    param: 'owner:identifier',
    tokens: [code === undefined ? { system: USER_SYSTEM } : { system: USER_SYSTEM, code }],
  });
  if (coder === 'unassigned') return { param: 'focus', has: { type: 'Task', where: owner() }, not: true };
  return { param: 'focus', has: { type: 'Task', where: owner(coder) } };
}

/** The filters as criteria on the Encounter, besides the base search. */
export function filterWhere(options: WorklistOptions, now: Date): Criterion[] {
  const where: Criterion[] = [];
  if (options.class === 'outpatient') {
    const others = [...CLASS_CODES.inpatient, ...CLASS_CODES.emergency].map((code) => ({ code }));
    where.push({ param: 'class', tokens: others, not: true });
  } else if (options.class) {
    where.push({ param: 'class', tokens: CLASS_CODES[options.class].map((code) => ({ code })) });
  }
  if (options.service) where.push({ param: 'type', tokens: [{ code: options.service }] });
  // Age from the birth date relative to today, not to the admission: a DNFB case waits days or
  // weeks, so the two differ only for a patient whose birthday fell in between (the row's age
  // column is the exact age at admission).
  if (options.ageMin !== undefined)
    where.push(onPatient({ param: 'birthdate', date: yearsBefore(now, options.ageMin), prefix: 'le' }));
  if (options.ageMax !== undefined)
    where.push(onPatient({ param: 'birthdate', date: yearsBefore(now, options.ageMax + 1), prefix: 'gt' }));
  // DNFB days = whole days since discharge: at least N days when the period ended N days ago or
  // earlier, at most N when it ended after N + 1 days ago.
  const t = now.getTime();
  if (options.dnfbMin !== undefined)
    where.push({
      param: 'date',
      date: new Date(t - options.dnfbMin * DAY_MS + 1).toISOString(),
      prefix: 'eb',
    });
  if (options.dnfbMax !== undefined)
    where.push({
      param: 'date',
      date: new Date(t - (options.dnfbMax + 1) * DAY_MS).toISOString(),
      prefix: 'gt',
    });
  if (options.payer) where.push(payerCriterion(options.payer));
  if (options.coder) where.push(coderCriterion(options.coder));
  return where;
}

/** The order, then oldest discharge (the store ends with the id), so pages are stable. */
function sortOf(sort: WorklistSort): NonNullable<SearchSpec['sort']> {
  const discharge = { param: 'date', end: true };
  switch (sort) {
    case '-discharge':
      return [{ ...discharge, descending: true }];
    case 'class':
      return [{ param: 'class' }, discharge];
    case 'service':
      return [{ param: 'type' }, discharge];
    default:
      return [discharge];
  }
}

export async function codingWorklist(store: FhirStore, options: WorklistOptions = {}): Promise<WorklistPage> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), WORKLIST_MAX);
  const offset = Math.max(options.offset ?? 0, 0);
  const now = options.now ?? new Date();
  const where = [...baseWhere(options.state), ...filterWhere(options, now)];
  // Broad: the worklist is most finished encounters (every one not final), so the search reads
  // each criterion's index slice once and counts the total in the same pass as the page.
  const found = await store.find(
    {
      type: 'Encounter',
      where,
      sort: sortOf(options.sort ?? 'discharge'),
      count: limit,
      offset,
      include: [{ param: 'subject' }],
    },
    { broad: true },
  );
  const encounters = found.matches.filter((r): r is Encounter => r.resourceType === 'Encounter');
  const patients = new Map<string, Patient>();
  for (const r of found.included) if (r.resourceType === 'Patient' && r.id) patients.set(r.id, r);
  const tasks = await workItems(store, encounters);
  const payers = await primaryPayers(store, [...patients.keys()]);
  const items = encounters.map((e) => worklistItem(e, patients, tasks, payers, now.getTime()));
  const total = found.total ?? 0;
  if (!options.facets) return { total, offset, items };
  return { total, offset, items, facets: await worklistFacets(store) };
}

function worklistItem(
  e: Encounter,
  patients: Map<string, Patient>,
  tasks: Map<string, Task>,
  payers: Map<string, string>,
  now: number,
): WorklistItem {
  const patientId = patientIdOf(e) ?? '';
  const patient = patients.get(patientId);
  const task = tasks.get(e.id ?? '');
  const discharge = e.period?.end ?? '';
  const admit = e.period?.start;
  return {
    encounterId: e.id ?? '',
    patientId,
    patientName: patient ? patientName(patient) : '(not shown)',
    mrn: patient ? mrnOf(patient) : undefined,
    class: classLabel(e),
    service: e.type?.[0]?.text ?? e.type?.[0]?.coding?.[0]?.display,
    age: patient?.birthDate ? ageAt(patient.birthDate, admit ?? discharge) : undefined,
    payer: payers.get(patientId),
    admit,
    discharge,
    dnfbDays: Math.max(0, Math.floor((now - Date.parse(discharge)) / DAY_MS)),
    state: stateOf(task) === 'coded' ? 'coded' : 'uncoded',
    coder: ownerOf(task),
    lastModified: task?.lastModified,
  };
}

/** The menus: services and coders counted in the database, payers from the Coverage index. */
async function worklistFacets(store: FhirStore): Promise<WorklistFacets> {
  const services = await tallyRecords(store, {
    type: 'Encounter',
    where: baseWhere(undefined),
    by: [{ token: 'type' }],
  });
  const coders = await tallyRecords(store, {
    type: 'Task',
    where: [
      { param: 'code', tokens: [{ system: TASK_SYSTEM, code: TASK_CODE }] },
      { param: 'status', tokens: [{ code: 'completed' }], not: true },
    ],
    by: [{ token: 'owner:identifier', system: USER_SYSTEM }],
  });
  // Payers are Organizations (not patient data): every payer with an active coverage, named
  // from its record. Self-pay coverages name the patient as payor, so they are one entry.
  const payerRows = await tallyRecords(store, {
    type: 'Coverage',
    where: [
      { param: 'status', tokens: [{ code: 'active' }] },
      { param: 'type', tokens: [{ code: 'pay' }], not: true },
    ],
    by: [{ reference: 'payor' }],
  });
  const payerIds = payerRows.map((r) => r.keys[0]).filter((k): k is string => !!k && PAYER_ID.test(k));
  const organizations = (await store.readMany('Organization', payerIds)) as Organization[];
  const byLabel = (a: WorklistFacet, b: WorklistFacet): number => a.label.localeCompare(b.label);
  return {
    services: services
      .filter((r) => r.keys[0])
      .map((r) => ({ value: r.keys[0]!, label: r.labels[0] ?? r.keys[0]! }))
      .sort(byLabel),
    payers: [
      ...organizations.map((o) => ({ value: o.id ?? '', label: o.name ?? o.id ?? '' })).sort(byLabel),
      { value: SELF_PAY, label: 'Self-pay' },
    ],
    coders: coders
      .filter((r) => r.keys[0])
      .map((r) => ({ value: r.keys[0]!, label: r.keys[0]! }))
      .sort(byLabel),
  };
}

export function parseWorklistSort(value: string | undefined): WorklistSort | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(WORKLIST_SORTS as readonly string[]).includes(value))
    throw badRequest(`sort must be one of ${WORKLIST_SORTS.join(', ')}`, ['sort']);
  return value as WorklistSort;
}

export function parseWorklistClass(value: string | undefined): EncounterClassLabel | undefined {
  if (value === undefined || value === '') return undefined;
  if (value !== 'inpatient' && value !== 'outpatient' && value !== 'emergency')
    throw badRequest('class must be inpatient, outpatient or emergency', ['class']);
  return value;
}

/** The work items of the page's encounters (id `coding-<encounterId>`), by encounter id. */
async function workItems(store: FhirStore, encounters: Encounter[]): Promise<Map<string, Task>> {
  const ids = encounters.map((e) => e.id ?? '').filter((id) => id !== '');
  const found = (await store.readMany('Task', ids.map(taskIdFor))) as Task[];
  const out = new Map<string, Task>();
  for (const task of found) {
    const id = /^Encounter\/(.+)$/.exec(task.focus?.reference ?? '')?.[1];
    if (id) out.set(id, task);
  }
  return out;
}

/** The payer of each patient's active coverage with the lowest order (primary first). */
async function primaryPayers(store: FhirStore, patientIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, { order: number; name: string }>();
  for (let i = 0; i < patientIds.length; i += 100) {
    const { matches } = await store.findAll({
      type: 'Coverage',
      where: [
        {
          param: 'beneficiary',
          references: patientIds.slice(i, i + 100).map((id) => `Patient/${id}`),
        },
      ],
      count: 1000,
    });
    for (const c of matches as Coverage[]) {
      if (c.status && c.status !== 'active') continue;
      const patientId = /^Patient\/(.+)$/.exec(c.beneficiary?.reference ?? '')?.[1];
      const name = c.payor?.[0]?.display;
      if (!patientId || !name) continue;
      const order = c.order ?? 99;
      const held = out.get(patientId);
      if (!held || order < held.order) out.set(patientId, { order, name });
    }
  }
  return new Map([...out].map(([id, v]) => [id, v.name]));
}
