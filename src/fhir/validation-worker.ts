import { parentPort } from 'node:worker_threads';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { assertValidResource } from './definitions.ts';
import { isOutcomeError } from './outcomes.ts';

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
    for (const resource of request.resources) {
      try {
        assertValidResource(resource);
        reply.results.push(null);
      } catch (err) {
        if (!isOutcomeError(err)) throw err;
        reply.results.push({ status: err.status, outcome: err.outcome });
      }
    }
  } catch (err) {
    reply.error = err instanceof Error ? err.message : String(err);
  }
  parentPort?.postMessage(reply);
});
