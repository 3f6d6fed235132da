import type { DestructionRun, LegalHold, RunItem } from '../../../../src/retention/index.ts';
import { get, post, request } from '../../api.ts';

/** The retention screens' calls to the server (src/retention routes). */

export type { DestructionRun, LegalHold, RunItem };

export const fetchHolds = (): Promise<{ holds: LegalHold[] }> => get('/retention/holds');
export const placeHold = (body: { scope: string; matter: string; custodian?: string }): Promise<LegalHold> =>
  post('/retention/holds', body);
export const releaseHold = (id: string): Promise<LegalHold> =>
  request('DELETE', `/retention/holds/${encodeURIComponent(id)}`);
export const fetchDue = (): Promise<{ due: RunItem[] }> => get('/retention/due');
export const fetchRuns = (): Promise<{ runs: DestructionRun[] }> => get('/retention/destruction-runs');
export const proposeRun = (): Promise<DestructionRun> => post('/retention/destruction-runs', {});
export const runStep = (id: string, step: 'approve' | 'destroy'): Promise<DestructionRun> =>
  post(`/retention/destruction-runs/${encodeURIComponent(id)}/${step}`, {});
export const certificatePath = (id: string): string =>
  `/retention/destruction-runs/${encodeURIComponent(id)}/certificate`;
