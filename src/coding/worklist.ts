import type { Coverage, Encounter, Patient, Task } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcomes.ts';
import type { Criterion } from '../fhir/search/typed.ts';
import type { FhirStore } from '../fhir/store.ts';
import {
  ageAt,
  classLabel,
  mrnOf,
  patientIdOf,
  patientName,
  type EncounterClassLabel,
} from './encounter-context.ts';
import { ownerOf, STATE_SYSTEM, stateOf, TASK_CODE, TASK_SYSTEM, type CodingState } from './work-item.ts';

/**
 * The coder's worklist: discharged encounters (status finished, with an end time) whose coding is
 * not final, i.e. discharged-not-final-billed (DNFB), oldest discharge first. One indexed search on
 * the Encounter's coding-state tag finds them; the work items add who coded what.
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

export const WORKLIST_SORTS = [
  'discharge',
  '-discharge',
  'patient',
  '-patient',
  'class',
  'service',
  'age',
  '-age',
  'payer',
  'coder',
] as const;
export type WorklistSort = (typeof WORKLIST_SORTS)[number];

export interface WorklistOptions {
  limit?: number | undefined;
  offset?: number | undefined;
  state?: 'uncoded' | 'coded' | undefined;
  class?: EncounterClassLabel | undefined;
  /** Exact service (visit type) text, as the facets list them. */
  service?: string | undefined;
  ageMin?: number | undefined;
  ageMax?: number | undefined;
  /** Exact payer name; "none" for encounters without a registered payer. */
  payer?: string | undefined;
  /** A user name; "unassigned" for cases nobody holds. */
  coder?: string | undefined;
  sort?: WorklistSort | undefined;
  now?: Date | undefined;
}

/** The values present in the whole worklist, for the filter menus. */
export interface WorklistFacets {
  services: string[];
  payers: string[];
  coders: string[];
}

export const WORKLIST_MAX = 1000;
/** The search reads at most this many encounters per request (20 pages of 1,000). */
const SCAN_LIMIT = 20_000;
const DAY_MS = 86_400_000;

/** The worklist's search: finished encounters by their coding-state tag. */
function baseWhere(state: WorklistOptions['state']): Criterion[] {
  const where: Criterion[] = [{ param: 'status', tokens: [{ code: 'finished' }] }];
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
  return store.count({ type: 'Encounter', where: baseWhere(state) });
}

/** One page of the filtered worklist, with the total and the filter menus' values. */
export interface WorklistPage {
  total: number;
  offset: number;
  items: WorklistItem[];
  facets: WorklistFacets;
}

export async function codingWorklist(store: FhirStore, options: WorklistOptions = {}): Promise<WorklistPage> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), WORKLIST_MAX);
  const offset = Math.max(options.offset ?? 0, 0);
  const now = (options.now ?? new Date()).getTime();
  const found = await store.findAll(
    {
      type: 'Encounter',
      where: baseWhere(options.state),
      count: 1000,
      include: [{ param: 'subject' }],
    },
    SCAN_LIMIT,
  );
  const encounters: Encounter[] = [];
  for (const r of found.matches) if (r.resourceType === 'Encounter' && r.period?.end) encounters.push(r);
  const patients = new Map<string, Patient>();
  for (const r of found.included) if (r.resourceType === 'Patient' && r.id) patients.set(r.id, r);
  const [tasks, payers] = await Promise.all([
    openWorkItems(store),
    primaryPayers(store, [...patients.keys()]),
  ]);
  const all = encounters.map((e): WorklistItem => {
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
  });
  const facets: WorklistFacets = {
    services: distinct(all.map((i) => i.service)),
    payers: distinct(all.map((i) => i.payer)),
    coders: distinct(all.map((i) => i.coder)),
  };
  const matching = all.filter((i) => matches(i, options)).sort(comparator(options.sort ?? 'discharge'));
  return { total: matching.length, offset, items: matching.slice(offset, offset + limit), facets };
}

function distinct(values: Array<string | undefined>): string[] {
  return [...new Set(values.filter((v): v is string => !!v))].sort();
}

function matches(i: WorklistItem, o: WorklistOptions): boolean {
  if (o.class && i.class !== o.class) return false;
  if (o.service && i.service !== o.service) return false;
  if (o.ageMin !== undefined && (i.age === undefined || i.age < o.ageMin)) return false;
  if (o.ageMax !== undefined && (i.age === undefined || i.age > o.ageMax)) return false;
  if (o.payer && (o.payer === 'none' ? i.payer !== undefined : i.payer !== o.payer)) return false;
  if (o.coder && (o.coder === 'unassigned' ? i.coder !== undefined : i.coder !== o.coder)) return false;
  return true;
}

/** The chosen order, then oldest discharge, then id, so the list is stable between calls and pages. */
function comparator(sort: WorklistSort): (a: WorklistItem, b: WorklistItem) => number {
  const desc = sort.startsWith('-');
  const key = desc ? sort.slice(1) : sort;
  const text = (v: string | number | undefined): string =>
    typeof v === 'number' ? String(v).padStart(4, '0') : (v ?? '\uffff');
  const value = (i: WorklistItem): string => {
    switch (key) {
      case 'patient':
        return text(i.patientName.toLowerCase());
      case 'class':
        return text(i.class);
      case 'service':
        return text(i.service);
      case 'age':
        return text(i.age);
      case 'payer':
        return text(i.payer);
      case 'coder':
        return text(i.coder);
      default:
        return i.discharge;
    }
  };
  return (a, b) => {
    const va = value(a);
    const vb = value(b);
    const primary = va < vb ? -1 : va > vb ? 1 : 0;
    return (
      (desc ? -primary : primary) ||
      a.discharge.localeCompare(b.discharge) ||
      a.encounterId.localeCompare(b.encounterId)
    );
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

/** Every open coding work item (not final), by encounter id: who holds each case. */
async function openWorkItems(store: FhirStore): Promise<Map<string, Task>> {
  const { matches } = await store.findAll(
    {
      type: 'Task',
      where: [
        { param: 'code', tokens: [{ system: TASK_SYSTEM, code: TASK_CODE }] },
        { param: 'status', tokens: [{ code: 'completed' }], not: true },
      ],
      count: 1000,
    },
    SCAN_LIMIT,
  );
  const out = new Map<string, Task>();
  for (const task of matches as Task[]) {
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
