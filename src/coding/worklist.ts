import type { Encounter, Patient, Task } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcomes.ts';
import type { Criterion } from '../fhir/search/typed.ts';
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

export async function codingWorklist(
  store: FhirStore,
  options: WorklistOptions = {},
): Promise<{ total: number; items: WorklistItem[] }> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), WORKLIST_MAX);
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
    const focus = coded.slice(i, i + 100).map((e) => `Encounter/${e.id ?? ''}`);
    const { matches } = await store.find({
      type: 'Task',
      where: [
        { param: 'code', tokens: [{ system: TASK_SYSTEM, code: TASK_CODE }] },
        { param: 'focus', references: focus },
      ],
      count: 1000,
    });
    for (const task of matches as Task[]) {
      const id = /^Encounter\/(.+)$/.exec(task.focus?.reference ?? '')?.[1];
      if (id) out.set(id, task);
    }
  }
  return out;
}
