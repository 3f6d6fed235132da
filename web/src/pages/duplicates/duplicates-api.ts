import type { Parameters } from '@medplum/fhirtypes';
import type { GroupDetail, MatchPair, PairDetail, Worklist } from '../../../../src/mpi/index.ts';
import type { DecidedPair, DecisionKind } from '../../../../src/mpi/duplicates/decisions.ts';
import { FHIR, get, post } from '../../api.ts';

/** The duplicate worklist's calls to the server (src/mpi routes, Patient/$merge and $unmerge). */

export type { DecidedPair, DecisionKind, GroupDetail, MatchPair, PairDetail, Worklist };

/** What the worklist shows: pairs waiting (open) or decided; flagged or decided in a month. */
export interface WorklistFilters {
  status: 'open' | DecisionKind;
  /** YYYY-MM */
  month?: string;
}

/** The filters as the page's URL query and the API's (without the `?`), empty ones left out. */
export function worklistQuery(f: WorklistFilters): string {
  const q = new URLSearchParams();
  if (f.status !== 'open') q.set('status', f.status);
  if (f.month) q.set('month', f.month);
  return q.toString();
}

export const fetchWorklist = (
  filters: WorklistFilters = { status: 'open' },
): Promise<Worklist & { decisions?: DecidedPair[] }> => {
  const query = worklistQuery(filters);
  return get(`/mpi/worklist?limit=100${query ? `&${query}` : ''}`);
};

export const fetchPair = (taskId: string): Promise<PairDetail> =>
  get(`/mpi/pairs/${encodeURIComponent(taskId)}`);

export const fetchGroup = (taskId: string): Promise<GroupDetail> =>
  get(`/mpi/groups/${encodeURIComponent(taskId)}`);

const reasonParam = (reason: string): Parameters['parameter'] =>
  reason.trim() ? [{ name: 'reason', valueString: reason.trim() }] : [];

/** Merges `sourceId` into the survivor `targetId`. */
export const mergePair = (sourceId: string, targetId: string, reason: string): Promise<Parameters> =>
  post(`${FHIR}/Patient/$merge`, {
    resourceType: 'Parameters',
    parameter: [
      { name: 'source-patient', valueReference: { reference: `Patient/${sourceId}` } },
      { name: 'target-patient', valueReference: { reference: `Patient/${targetId}` } },
      ...(reasonParam(reason) ?? []),
    ],
  });

/** Merges several records of a group into the survivor, all or none. */
export const mergeGroup = (survivor: string, records: string[], reason: string): Promise<unknown> =>
  post('/mpi/groups/merge', { survivor, records, reason });

export const unmerge = (mergeId: string, reason: string): Promise<Parameters> =>
  post(`${FHIR}/Patient/$unmerge`, {
    resourceType: 'Parameters',
    parameter: [{ name: 'merge-id', valueString: mergeId }, ...(reasonParam(reason) ?? [])],
  });

/** `a` is a different person from `b` (one record, or each of several). */
export const markNotDuplicate = (a: string, b: string | string[], reason: string): Promise<unknown> =>
  post('/mpi/not-duplicate', { a, b, reason });
