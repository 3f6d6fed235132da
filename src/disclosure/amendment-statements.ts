import type { Task } from '@medplum/fhirtypes';
import type { FhirStore } from '../fhir/store.ts';
import { amendmentOf, AMENDMENT_TASK_CODE, DENIAL_BASES, type AmendmentRecord } from './amendment-task.ts';
import { TASK_SYSTEM } from './terms.ts';

/**
 * What must travel with later releases of amended information (164.526(d)(4)): when a patient
 * filed a statement of disagreement against a denial, that statement, the denial (the request and
 * its basis) and any rebuttal go with every later disclosure of the information it concerns.
 */

export interface DisagreementStatement {
  requestId: string;
  records: string[];
  requested: string;
  change: string;
  denied: string;
  basis: string;
  statement: string;
  rebuttal?: string;
}

/** Every amendment request of a patient, as the caller may see them. */
export async function amendmentsOf(store: FhirStore, patientId: string): Promise<AmendmentRecord[]> {
  const found = await store.findAll({
    type: 'Task',
    where: [
      { param: 'code', tokens: [{ system: TASK_SYSTEM, code: AMENDMENT_TASK_CODE }] },
      { param: 'patient', references: [`Patient/${patientId}`] },
    ],
  });
  return found.matches.map((t) => amendmentOf(t as Task)).filter((a): a is AmendmentRecord => !!a);
}

/** The statements of disagreement (with denial and rebuttal) about any of `references`. */
export async function statementsFor(
  store: FhirStore,
  patientId: string,
  references: ReadonlySet<string>,
): Promise<DisagreementStatement[]> {
  if (references.size === 0) return [];
  const amendments = await amendmentsOf(store, patientId);
  return amendments
    .filter((a) => a.status === 'denied' && a.disagreement && a.records.some((r) => references.has(r)))
    .sort((a, b) => a.received.localeCompare(b.received))
    .map((a) => ({
      requestId: a.id,
      records: a.records,
      requested: a.received,
      change: a.change,
      denied: a.decidedOn ?? '',
      basis: a.denialBasis ? DENIAL_BASES[a.denialBasis] : '',
      statement: a.disagreement?.text ?? '',
      ...(a.rebuttal ? { rebuttal: a.rebuttal.text } : {}),
    }));
}
