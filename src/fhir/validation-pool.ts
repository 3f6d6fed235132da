import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { checkResources } from './definitions.ts';
import { OutcomeError } from './outcomes.ts';
import type { ValidationReply, ValidationRequest } from './validation-worker.ts';

/**
 * Validation of many resources at once (bundles, imports) on worker threads. The R4 validator
 * costs about a third of a millisecond a resource, the largest share of an import, while the
 * embedded database works on the main thread: with validation beside it, one bundle is checked
 * while the one before is written. Small batches are checked in place, where a round trip to a
 * worker would cost more than it saves.
 */
const IN_PLACE_BELOW = 16;

type Result = OutcomeError | undefined;

interface Pending {
  resolve(results: Result[]): void;
  reject(err: Error): void;
}

class ValidationWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  busy = 0;
  failed = false;

  constructor() {
    this.worker = new Worker(new URL('./validation-worker.mjs', import.meta.url));
    // Idle workers must not keep a finished CLI command or test alive.
    this.worker.unref();
    this.worker.on('message', (reply: ValidationReply) => this.settle(reply));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`validation worker exited with code ${code}`)));
  }

  validate(resources: unknown[]): Promise<Result[]> {
    const id = this.nextId++;
    this.busy += 1;
    this.worker.ref();
    return new Promise<Result[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, resources } satisfies ValidationRequest);
    });
  }

  private settle(reply: ValidationReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    this.busy -= 1;
    if (this.busy === 0) this.worker.unref();
    if (reply.error) waiting.reject(new Error(`validation worker: ${reply.error}`));
    else waiting.resolve(reply.results.map((r) => (r ? new OutcomeError(r.status, r.outcome) : undefined)));
  }

  private fail(err: Error): void {
    this.failed = true;
    for (const waiting of this.pending.values()) waiting.reject(err);
    this.pending.clear();
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

const POOL_SIZE = Math.min(4, Math.max(1, availableParallelism() - 1));
let pool: ValidationWorker[] = [];

function workers(): ValidationWorker[] {
  pool = pool.filter((w) => !w.failed);
  while (pool.length < POOL_SIZE) pool.push(new ValidationWorker());
  return pool;
}

/**
 * Validates every resource against the R4 structure definitions and required bindings.
 * Answers one entry per resource: undefined when valid, the 400 OutcomeError otherwise.
 */
export async function validateResources(resources: readonly unknown[]): Promise<Result[]> {
  if (resources.length < IN_PLACE_BELOW) return checkResources(resources);
  // The least busy worker takes the batch; bundles arriving together spread over the pool.
  const worker = workers().reduce((a, b) => (b.busy < a.busy ? b : a));
  return worker.validate([...resources]);
}

/** Stops the workers (tests, shutdown); the next validation starts new ones. */
export async function stopValidationWorkers(): Promise<void> {
  const stopping = pool;
  pool = [];
  await Promise.all(stopping.map((w) => w.terminate()));
}
