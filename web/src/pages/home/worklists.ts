import type { Action } from '../../../../src/shared/index.ts';
import { ApiError, FHIR, fetchCount } from '../../api.ts';

/**
 * The home page's worklist tiles, one row per HIM duty. Later screens add rows (charts to
 * complete, requests due, cases to abstract). A tile whose count endpoint does not exist yet
 * (404) is hidden rather than shown broken.
 */
export interface Worklist {
  id: string;
  title: string;
  description: string;
  /** The count: FHIR `_summary=count` or a `{ total }` answer. */
  countPath: string;
  /** Where the tile leads (path below /app), when that screen exists. */
  path?: string;
  access: { resource: string; action: Action };
}

export const WORKLISTS: Worklist[] = [
  {
    id: 'duplicates',
    title: 'Duplicates to review',
    description: 'Possible duplicate patient records waiting for a decision',
    countPath: `${FHIR}/Task?code=${encodeURIComponent('urn:custodian:task|duplicate-review')}&status=requested&_summary=count`,
    path: '/duplicates',
    access: { resource: 'Task', action: 'search' },
  },
  {
    id: 'coding',
    title: 'Encounters to code',
    description: 'Discharged encounters without final codes',
    countPath: '/coding/worklist?_summary=count',
    path: '/coding/worklist',
    access: { resource: 'CodingWork', action: 'search' },
  },
  {
    id: 'disclosure',
    title: 'Release requests open',
    description: 'Requests for records waiting for an answer, soonest due first',
    countPath: '/disclosure/requests?_summary=count',
    path: '/disclosure',
    access: { resource: 'Disclosure', action: 'search' },
  },
  {
    id: 'completeness',
    title: 'Chart deficiencies open',
    description: 'Missing and unsigned documents on discharged charts, oldest first',
    countPath: '/completeness/worklist?limit=1',
    path: '/completeness',
    access: { resource: 'DeficiencyWaiver', action: 'update' },
  },
  {
    id: 'registry',
    title: 'Cancer cases to review',
    description: 'Reportable diagnoses found by casefinding, waiting in the suspense queue',
    countPath: '/registry/casefinding?_summary=count',
    path: '/registry',
    access: { resource: 'CancerRegistry', action: 'update' },
  },
  {
    id: 'break-glass',
    title: 'Break-the-glass to review',
    description: 'Emergency access to restricted charts, waiting for the privacy review',
    countPath: '/audit/break-glass?unreviewed=true&_summary=count',
    path: '/reports/break-glass',
    access: { resource: 'AuditEvent', action: 'read' },
  },
];

export type WorklistCount =
  { state: 'ok'; count: number } | { state: 'absent' } | { state: 'error'; message: string };

export async function worklistCount(w: Worklist): Promise<WorklistCount> {
  try {
    return { state: 'ok', count: await fetchCount(w.countPath) };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { state: 'absent' };
    return { state: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}
