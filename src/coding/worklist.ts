import type { Bundle, Encounter, Patient, Task } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import {
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
  admit?: string | undefined;
  discharge: string;
  /** Whole days since discharge: the DNFB age. */
  dnfbDays: number;
  state: Exclude<CodingState, 'final'>;
  coder?: string | undefined;
  lastModified?: string | undefined;
}

export interface WorklistOptions {
  limit?: number | undefined;
  state?: 'uncoded' | 'coded' | undefined;
  now?: Date | undefined;
}

export const WORKLIST_MAX = 1000;
/** The search reads at most this many encounters per request (20 pages of 1,000). */
const SCAN_LIMIT = 20_000;
const DAY_MS = 86_400_000;

function baseQuery(state: WorklistOptions['state']): URLSearchParams {
  const q = new URLSearchParams({ status: 'finished' });
  if (state === 'coded') q.append('_tag', `${STATE_SYSTEM}|coded`);
  else {
    q.append('_tag:not', `${STATE_SYSTEM}|final`);
    if (state === 'uncoded') q.append('_tag:not', `${STATE_SYSTEM}|coded`);
  }
  return q;
}

export function parseWorklistState(value: string | undefined): WorklistOptions['state'] {
  if (value === undefined || value === '') return undefined;
  if (value !== 'uncoded' && value !== 'coded') throw badRequest('state must be uncoded or coded', ['state']);
  return value;
}

/** How many encounters wait for final coding (the home page tile). */
export async function worklistCount(store: FhirStore, state?: WorklistOptions['state']): Promise<number> {
  const q = baseQuery(state);
  q.set('_summary', 'count');
  const bundle = await store.search('Encounter', q, { lenient: false });
  return bundle.total ?? 0;
}

async function everyPage(store: FhirStore, type: string, first: URLSearchParams): Promise<Bundle[]> {
  const pages: Bundle[] = [];
  let query: URLSearchParams | undefined = first;
  let read = 0;
  while (query && read < SCAN_LIMIT) {
    const page = await store.search(type, query, { lenient: false });
    pages.push(page);
    read += page.entry?.length ?? 0;
    const next = page.link?.find((l) => l.relation === 'next')?.url;
    query = next ? new URL(next, 'http://x').searchParams : undefined;
  }
  return pages;
}

export async function codingWorklist(
  store: FhirStore,
  options: WorklistOptions = {},
): Promise<{ total: number; items: WorklistItem[] }> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), WORKLIST_MAX);
  const now = (options.now ?? new Date()).getTime();
  const q = baseQuery(options.state);
  q.set('_count', '1000');
  q.set('_include', 'Encounter:subject');
  const pages = await everyPage(store, 'Encounter', q);
  const encounters: Encounter[] = [];
  const patients = new Map<string, Patient>();
  for (const page of pages) {
    for (const e of page.entry ?? []) {
      const r = e.resource;
      if (r?.resourceType === 'Encounter' && r.period?.end) encounters.push(r);
      if (r?.resourceType === 'Patient' && r.id) patients.set(r.id, r);
    }
  }
  // Oldest discharge first; equal times in id order so the list is stable between calls.
  encounters.sort(
    (a, b) =>
      (a.period?.end ?? '').localeCompare(b.period?.end ?? '') || (a.id ?? '').localeCompare(b.id ?? ''),
  );
  const shown = encounters.slice(0, limit);
  const tasks = await workItems(store, shown);
  const items = shown.map((e): WorklistItem => {
    const patientId = patientIdOf(e) ?? '';
    const patient = patients.get(patientId);
    const task = tasks.get(e.id ?? '');
    const discharge = e.period?.end ?? '';
    return {
      encounterId: e.id ?? '',
      patientId,
      patientName: patient ? patientName(patient) : '(not shown)',
      mrn: patient ? mrnOf(patient) : undefined,
      class: classLabel(e),
      admit: e.period?.start,
      discharge,
      dnfbDays: Math.max(0, Math.floor((now - Date.parse(discharge)) / DAY_MS)),
      state: stateOf(task) === 'coded' ? 'coded' : 'uncoded',
      coder: ownerOf(task),
      lastModified: task?.lastModified,
    };
  });
  return { total: encounters.length, items };
}

/** The open work items of the shown encounters that have been coded, by encounter id. */
async function workItems(store: FhirStore, encounters: Encounter[]): Promise<Map<string, Task>> {
  const coded = encounters.filter((e) =>
    e.meta?.tag?.some((t) => t.system === STATE_SYSTEM && t.code === 'coded'),
  );
  const out = new Map<string, Task>();
  for (let i = 0; i < coded.length; i += 100) {
    const focus = coded
      .slice(i, i + 100)
      .map((e) => `Encounter/${e.id ?? ''}`)
      .join(',');
    const q = new URLSearchParams({ code: `${TASK_SYSTEM}|${TASK_CODE}`, focus, _count: '1000' });
    const bundle = await store.search('Task', q, { lenient: false });
    for (const entry of bundle.entry ?? []) {
      const task = entry.resource as Task;
      const id = /^Encounter\/(.+)$/.exec(task.focus?.reference ?? '')?.[1];
      if (id) out.set(id, task);
    }
  }
  return out;
}
