import type { RequestContext } from './request-context.ts';
import { deniedLabelsFor } from '../shared/index.ts';
import type { SqlParams } from './search/sql-params.ts';
import type { SearchAccess } from './search/types.ts';

/**
 * THE confidentiality filter. Every path that reads, lists or counts records (read, vread,
 * history, search and its chains, `_has` and includes, `$everything`, conditional references,
 * the patient finder, the MPI worklist, module lookups) asks this one function, so they cannot
 * disagree about what a role may see.
 */

/** What the caller may not see, and the patients whose glass they broke. */
export function accessOf(ctx: RequestContext): SearchAccess {
  const access = { deniedLabels: deniedLabelsFor(ctx.role), allowedPatients: ctx.brokenGlassPatients };
  return ctx.compartment === undefined ? access : { ...access, compartment: ctx.compartment };
}

/** No label is hidden from this caller: the filter is `TRUE` and costs nothing. */
export function seesEverything(access: SearchAccess | undefined): boolean {
  return !access || (access.deniedLabels.length === 0 && access.compartment === undefined);
}

/**
 * SQL condition on the `fhir_resource` row aliased `alias`: false when the record carries a
 * denied label, or belongs to a patient (its `patient_id`, or itself for a Patient) whose
 * current Patient row carries one, unless the caller broke the glass for that patient.
 * `undefined` when nothing is hidden from the caller.
 */
export function visibleTo(
  access: SearchAccess | undefined,
  p: SqlParams,
  alias = 'r',
  /** The row's resource type when the query fixes it: a non-Binary one skips the Binary rule. */
  type?: string,
): string | undefined {
  if (!access || seesEverything(access)) return undefined;
  const denied = p.add(access.deniedLabels, 'text[]');
  const allowed = access.allowedPatients.length > 0 ? p.add(access.allowedPatients, 'text[]') : undefined;
  // Without the Binary rule the filter reads only columns the primary key carries (0006), so a
  // search over a whole type (a report's tally) never visits the records' heap.
  const rows = rowsOf(type);
  const mayBeBinary = rows === 'binary';
  // A Binary belongs to no patient: it is as visible as the record its securityContext names
  // (a scanned document's DocumentReference), so its content is never read around that record.
  const context = `${alias}.content->'securityContext'->>'reference'`;
  const binary = mayBeBinary
    ? ` AND (${alias}.resource_type <> 'Binary' OR NOT EXISTS (SELECT 1 FROM fhir_resource bsc ` +
      `WHERE bsc.resource_type = split_part(${context}, '/', 1) AND bsc.id = split_part(${context}, '/', 2) ` +
      `AND NOT ${ownVisibility('bsc', denied, allowed)}))`
    : '';
  // A patient's own access: their compartment only, whatever glass they broke. A Binary is in
  // the compartment of the record its securityContext names (their scanned document's page).
  let own = '';
  if (access.compartment !== undefined) {
    const patient = p.add(access.compartment, 'text');
    own = mayBeBinary
      ? ` AND (CASE WHEN ${alias}.resource_type = 'Binary' THEN EXISTS (SELECT 1 FROM fhir_resource bpc ` +
        `WHERE bpc.resource_type = split_part(${context}, '/', 1) AND bpc.id = split_part(${context}, '/', 2) ` +
        `AND ${ownerOf('bpc')} IS NOT DISTINCT FROM ${patient}) ELSE ${ownerOf(alias)} IS NOT DISTINCT FROM ${patient} END)`
      : ` AND ${ownerOf(alias)} IS NOT DISTINCT FROM ${patient}`;
  }
  return `(${ownVisibility(alias, denied, allowed, rows === 'patients')}${binary}${own})`;
}

/** Which of the type rules the rows need: a Patient's own labels, a Binary's record, or their patient's. */
function rowsOf(type: string | undefined): 'patients' | 'binary' | 'records' {
  if (type === 'Patient') return 'patients';
  return type === undefined || type === 'Binary' ? 'binary' : 'records';
}

const ownerOf = (alias: string): string =>
  `COALESCE(${alias}.patient_id, CASE WHEN ${alias}.resource_type = 'Patient' THEN ${alias}.id END)`;

/**
 * The record's own labels and its patient's, or the glass broken for that patient. `patients`:
 * the rows are Patients, and a Patient is its own patient (its `patient_id` is its id, as
 * patientOf sets it): its labels are the patient's, so the probe of the patient's row, the same
 * row again, is left out. That probe was a tenth of what a patient's read costs.
 */
function ownVisibility(alias: string, denied: string, allowed: string | undefined, patients = false): string {
  const owner = patients ? `${alias}.id` : ownerOf(alias);
  const visible = patients
    ? `NOT (${alias}.security && ${denied})`
    : `(NOT (${alias}.security && ${denied}) AND NOT EXISTS (SELECT 1 FROM fhir_resource ap ` +
      // `security <> '{}'` adds nothing to the test but lets it use fhir_resource_labelled (0006).
      `WHERE ap.resource_type = 'Patient' AND ap.id = ${owner} AND ap.security <> '{}' AND ap.security && ${denied}))`;
  if (!allowed) return visible;
  return `(${visible} OR COALESCE(${owner} = ANY(${allowed}), false))`;
}

/** The filter as a boolean column (`TRUE` when nothing is hidden), for reads that must tell 403 from 404. */
export function visibleColumn(
  access: SearchAccess | undefined,
  p: SqlParams,
  alias = 'r',
  type?: string,
): string {
  return visibleTo(access, p, alias, type) ?? 'TRUE';
}
