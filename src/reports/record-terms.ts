/**
 * The FHIR conventions other modules write and these reports count (documented in their
 * READMEs: src/coding, src/mpi). Reports read them from the store's index, never from the
 * modules' code, so only the published shape is shared.
 */

/** Encounter meta.tag and Task.businessStatus of the coding workflow: uncoded (none), coded, final. */
export const CODING_STATE_SYSTEM = 'urn:custodian:coding-state';
/** Task.code of HIM work items. */
export const TASK_SYSTEM = 'urn:custodian:task';
export const CODING_TASK = 'encounter-coding';
export const DUPLICATE_REVIEW_TASK = 'duplicate-review';
/** Task.owner of a coding work item, and the identifier that ties a Practitioner to a user. */
export const USER_SYSTEM = 'urn:custodian:user';
/** meta.tag of the Conditions and Procedures a coder assigned (not the clinicians' documentation). */
export const CODED_TAG = { system: 'urn:custodian:coding', code: 'coded' } as const;
export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
/** Release-of-information requests (src/disclosure): Task.code and the ROI status in businessStatus. */
export const ROI_TASK = 'release-of-information';
export const ROI_STATUS_SYSTEM = 'urn:custodian:roi-status';
/** Chart deficiencies (src/completeness): Task.code and the deficiency kind in businessStatus. */
export const DEFICIENCY_TASK = 'deficiency';
export const DEFICIENCY_KIND_SYSTEM = 'urn:custodian:deficiency-kind';
/** DetectedIssue.code system of a coding edit overridden at finalization (code: the edit kind). */
export const CODING_EDIT_SYSTEM = 'urn:custodian:coding-edit';
/** A released ROI request's Task.output `released-at` (its type coded under this system). */
export const ROI_OUTPUT_SYSTEM = 'urn:custodian:roi-output';
/** A visit's total charges from charge capture (Encounter extension, Money; the store indexes it as `total-charges`). */
export const TOTAL_CHARGES_URL = 'urn:custodian:fhir:total-charges';
