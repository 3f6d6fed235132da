import type { Resource } from '@medplum/fhirtypes';
import jsonpatch, { type Operation } from 'fast-json-patch';
import { applyFhirPathPatch } from './fhirpath-patch.ts';
import { badRequest, unprocessable } from './outcomes.ts';

/** A PATCH body and how to read it: JSON Patch, or FHIRPath Patch (a Parameters resource). */
export interface PatchDocument {
  format: 'json-patch' | 'fhirpath-patch';
  body: unknown;
}

/** The current version with the patch applied (not yet validated). */
export function applyPatch(current: Resource, patch: PatchDocument): unknown {
  return patch.format === 'json-patch'
    ? applyJsonPatch(current, patch.body)
    : applyFhirPathPatch(current, patch.body);
}

/**
 * FHIR PATCH as JSON Patch (RFC 6902, `application/json-patch+json`): the operations are applied
 * to a copy of the current version; the result is then validated and written as an update is.
 */
export function applyJsonPatch(current: Resource, operations: unknown): unknown {
  if (!Array.isArray(operations) || operations.length === 0)
    throw badRequest('A JSON Patch body is a non-empty list of operations');
  let problem: unknown;
  try {
    // Checked against the current version too: a path that does not resolve is named here.
    problem = jsonpatch.validate(operations as Operation[], current);
    if (!problem) return jsonpatch.applyPatch(current, operations as Operation[], true, false).newDocument;
  } catch (err) {
    problem = err;
  }
  throw patchFailure(problem);
}

/**
 * A malformed operation is the client's request (400); one that cannot apply to this version
 * (a failed `test`, a path that is not there) is a sound request this record cannot take (422).
 */
function patchFailure(err: unknown): Error {
  // fast-json-patch refuses `__proto__` and `constructor/prototype` paths with a plain TypeError.
  if (!(err instanceof jsonpatch.JsonPatchError))
    return badRequest(`JSON Patch: ${err instanceof Error ? err.message : String(err)}`);
  const path = (err.operation as { path?: unknown } | undefined)?.path;
  const at = `operation ${String(err.index ?? 0)}${typeof path === 'string' ? ` (${path})` : ''}`;
  const message = `JSON Patch ${at}: ${err.message.split('\n')[0] ?? err.name}`;
  const unresolvable = new Set([
    'TEST_OPERATION_FAILED',
    'OPERATION_PATH_UNRESOLVABLE',
    'OPERATION_FROM_UNRESOLVABLE',
    'OPERATION_PATH_CANNOT_ADD',
    'OPERATION_VALUE_OUT_OF_BOUNDS',
  ]);
  return unresolvable.has(err.name) ? unprocessable(message) : badRequest(message);
}

/** The patched record must stay the record it was: same type, same id. */
export function assertSameRecord(type: string, id: string, patched: unknown): void {
  const r = patched as { resourceType?: unknown; id?: unknown } | null;
  if (r?.resourceType !== type || r.id !== id)
    throw unprocessable(`A patch may not change the resource type or id of ${type}/${id}`);
}
