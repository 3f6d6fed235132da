import { parentPort } from 'node:worker_threads';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { checkResources } from './definitions.ts';

/**
 * One validation worker: receives a batch of resources, answers with one entry per resource:
 * null when valid, the OperationOutcome (and HTTP status) of its first failing check otherwise.
 */
export interface ValidationRequest {
  id: number;
  resources: unknown[];
}
export interface ValidationReply {
  id: number;
  results: Array<{ status: number; outcome: OperationOutcome } | null>;
  /** A failure of the worker itself, not of a resource. */
  error?: string;
}

parentPort?.on('message', (request: ValidationRequest) => {
  const reply: ValidationReply = { id: request.id, results: [] };
  try {
    reply.results = checkResources(request.resources).map((err) =>
      err ? { status: err.status, outcome: err.outcome } : null,
    );
  } catch (err) {
    reply.error = err instanceof Error ? err.message : String(err);
  }
  parentPort?.postMessage(reply);
});
