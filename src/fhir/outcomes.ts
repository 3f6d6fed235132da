import type { OperationOutcome } from '@medplum/fhirtypes';

/** HTTP-facing error carrying a FHIR OperationOutcome. Thrown anywhere; answered in one place. */
export class OutcomeError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue?.[0]?.diagnostics ?? `HTTP ${status}`);
    this.name = 'OutcomeError';
  }
}

type IssueCode = NonNullable<OperationOutcome['issue']>[number]['code'];

export function outcome(
  severity: 'error' | 'warning' | 'information' | 'fatal',
  code: IssueCode,
  diagnostics: string,
  expression?: string[],
): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity, code, diagnostics, ...(expression ? { expression } : {}) }],
  };
}

const fail = (status: number, code: IssueCode, message: string, expression?: string[]): OutcomeError =>
  new OutcomeError(status, outcome('error', code, message, expression));

export const badRequest = (message: string, expression?: string[]) =>
  fail(400, 'invalid', message, expression);
export const unauthorized = (message = 'Authentication required') => fail(401, 'login', message);
export const forbidden = (message = 'Forbidden') => fail(403, 'forbidden', message);
export const notFound = (message: string) => fail(404, 'not-found', message);
export const methodNotAllowed = (message: string) => fail(405, 'not-supported', message);
export const notAcceptable = (message: string) => fail(406, 'not-supported', message);
export const conflict = (message: string) => fail(409, 'conflict', message);
export const gone = (message: string) => fail(410, 'deleted', message);
export const preconditionFailed = (message: string) => fail(412, 'conflict', message);
export const tooLarge = (message: string) => fail(413, 'too-costly', message);
export const unsupportedMediaType = (message: string) => fail(415, 'not-supported', message);
export const unprocessable = (message: string, expression?: string[]) =>
  fail(422, 'processing', message, expression);
export const tooManyRequests = (message: string) => fail(429, 'throttled', message);

export function isOutcomeError(err: unknown): err is OutcomeError {
  return err instanceof OutcomeError;
}

export const allOk = (message = 'All OK'): OperationOutcome =>
  outcome('information', 'informational', message);
