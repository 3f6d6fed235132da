import type { Parameters, Patient } from '@medplum/fhirtypes';
import type { MatchPair } from '../../../../src/mpi/index.ts';
import { FHIR, get, post } from '../../api.ts';

/** The duplicate worklist's calls to the server (src/mpi routes and Patient/$merge). */

export type { MatchPair };
export type PairDetail = MatchPair & { patientA: Patient; patientB: Patient };

export const fetchWorklist = (): Promise<{ total: number; pairs: MatchPair[] }> =>
  get('/mpi/worklist?limit=100');

export const fetchPair = (taskId: string): Promise<PairDetail> =>
  get(`/mpi/pairs/${encodeURIComponent(taskId)}`);

/** Merges `sourceId` into the survivor `targetId`. */
export const mergePair = (sourceId: string, targetId: string): Promise<Parameters> =>
  post(`${FHIR}/Patient/$merge`, {
    resourceType: 'Parameters',
    parameter: [
      { name: 'source-patient', valueReference: { reference: `Patient/${sourceId}` } },
      { name: 'target-patient', valueReference: { reference: `Patient/${targetId}` } },
    ],
  });

export const markNotDuplicate = (a: string, b: string, reason: string): Promise<unknown> =>
  post('/mpi/not-duplicate', { a, b, reason });
