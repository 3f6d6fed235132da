import { randomUUID } from 'node:crypto';
import type {
  Claim,
  CodeableConcept,
  Coding,
  Condition,
  Encounter,
  EncounterDiagnosis,
  Procedure,
  Resource,
} from '@medplum/fhirtypes';
import { withoutEmptyElements } from '../fhir/definitions.ts';
import type { EncounterContext } from './encounter-context.ts';
import { codeKey, formatCode, SYSTEM_URIS, type CodeSystemId } from './systems.ts';
import {
  claimIdFor,
  CODED_TAG,
  STATE_EXTENSION,
  STATE_SYSTEM,
  userRef,
  type CodingState,
} from './work-item.ts';

/**
 * The coded abstract as FHIR resources: Conditions (ICD-10-CM), Procedures (ICD-10-PCS / HCPCS),
 * the Encounter's billing diagnoses and a Claim. Pure functions; the workflow writes the result
 * in one transaction bundle. Coded resources carry the CODED_TAG so they are told apart from the
 * clinicians' documentation of the same encounter, which coding never changes.
 */

export interface CodedDiagnosis {
  code: string;
  display: string;
  principal: boolean;
  poa?: string | undefined;
}

export interface CodedProcedure {
  code: string;
  display: string;
  system: CodeSystemId;
  date?: string | undefined;
}

export interface CodedRecordInput {
  ctx: EncounterContext;
  encounter: Encounter;
  diagnoses: CodedDiagnosis[];
  procedures: CodedProcedure[];
  /** Coded resources of the previous coding of this encounter (reused by code, else retired). */
  previousConditions: Condition[];
  previousProcedures: Procedure[];
  coder: string;
  now: string;
  state: CodingState;
}

const DIAGNOSIS_ROLE = 'http://terminology.hl7.org/CodeSystem/diagnosis-role';
const POA_HL7 = 'http://terminology.hl7.org/CodeSystem/ex-diagnosis-on-admission';
const POA_EXEMPT = 'urn:custodian:poa';

/** A procedure code's system from its shape (the same rule the edits use). */
export function procedureSystem(code: string): CodeSystemId {
  const key = codeKey(code);
  if (/^[A-V]\d{4}$/.test(key)) return 'hcpcs';
  if (/^\d{4}[0-9A-Z]$/.test(key)) return 'cpt';
  return 'icd10pcs';
}

export function diagnosisKey(c: Condition): string | undefined {
  const code = c.code?.coding?.find((x) => x.system === SYSTEM_URIS.icd10cm)?.code;
  return code ? codeKey(code) : undefined;
}

export function procedureKey(p: Procedure): string | undefined {
  const code = p.code?.coding?.[0]?.code;
  return code ? `${codeKey(code)}|${p.performedDateTime?.slice(0, 10) ?? ''}` : undefined;
}

export function isCoded(r: Resource): boolean {
  return !!r.meta?.tag?.some((t) => t.system === CODED_TAG.system && t.code === CODED_TAG.code);
}

export function isRetired(r: Condition | Procedure): boolean {
  if (r.resourceType === 'Procedure') return r.status === 'entered-in-error';
  return !!r.verificationStatus?.coding?.some((c) => c.code === 'entered-in-error');
}

function concept(system: CodeSystemId, code: string, display: string): CodeableConcept {
  return {
    coding: [{ system: SYSTEM_URIS[system], code: formatCode(system, codeKey(code)), display }],
    text: display,
  };
}

function poaCoding(poa: string): Coding {
  const upper = poa.toUpperCase();
  return upper === '1'
    ? { system: POA_EXEMPT, code: '1', display: 'Exempt from POA reporting' }
    : { system: POA_HL7, code: upper.toLowerCase() };
}

/** The POA indicator as the coder wrote it (Y, N, U, W, 1) from a Claim's onAdmission. */
export function poaFromConcept(c: CodeableConcept | undefined): string | undefined {
  const coding = c?.coding?.[0];
  return coding?.code ? coding.code.toUpperCase() : undefined;
}

/** Takes the first unused previous resource with this key, so a re-assigned code keeps its id. */
function reuse<T extends Condition | Procedure>(
  pool: T[],
  key: string,
  keyOf: (r: T) => string | undefined,
): T | undefined {
  const i = pool.findIndex((r) => keyOf(r) === key);
  return i >= 0 ? pool.splice(i, 1)[0] : undefined;
}

export function buildCodedRecord(input: CodedRecordInput): Resource[] {
  const { ctx, coder, now } = input;
  const subject = { reference: `Patient/${ctx.patientId}` };
  const encounterRef = { reference: `Encounter/${ctx.encounterId}` };
  const meta = { tag: [{ ...CODED_TAG }] };
  const conditionPool = input.previousConditions.filter((c) => !isRetired(c));
  const procedurePool = input.previousProcedures.filter((p) => !isRetired(p));

  const conditions: Condition[] = input.diagnoses.map((d) => {
    const previous = reuse(conditionPool, codeKey(d.code), diagnosisKey);
    return {
      resourceType: 'Condition',
      id: previous?.id ?? randomUUID(),
      meta,
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }],
      },
      verificationStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }],
      },
      category: [
        {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/condition-category',
              code: 'encounter-diagnosis',
              display: 'Encounter Diagnosis',
            },
          ],
        },
      ],
      code: concept('icd10cm', d.code, d.display),
      subject,
      encounter: encounterRef,
      recordedDate: now,
      recorder: userRef(coder),
      asserter: userRef(coder),
    };
  });

  const procedures: Procedure[] = input.procedures.map((p) => {
    const key = `${codeKey(p.code)}|${p.date ?? ''}`;
    const previous = reuse(procedurePool, key, procedureKey);
    return {
      resourceType: 'Procedure',
      id: previous?.id ?? randomUUID(),
      meta,
      status: 'completed',
      code: concept(p.system, p.code, p.display),
      subject,
      encounter: encounterRef,
      ...(p.date ? { performedDateTime: p.date } : {}),
      recorder: userRef(coder),
    };
  });

  // What the previous coding had and this one does not stays in the record, marked in error.
  const retired: Resource[] = [
    ...conditionPool.map((c): Condition => {
      const { clinicalStatus: _dropped, ...rest } = c;
      return {
        ...rest,
        verificationStatus: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
              code: 'entered-in-error',
            },
          ],
        },
      };
    }),
    ...procedurePool.map((p): Procedure => ({ ...p, status: 'entered-in-error' })),
  ];

  return [
    ...conditions,
    ...procedures,
    ...retired,
    encounterWithDiagnoses(input, conditions),
    claim(input, conditions, procedures),
  ].map(withoutEmptyElements);
}

/** The clinicians' diagnosis entries stay; the coded ones are replaced, ranked in claim order. */
function encounterWithDiagnoses(input: CodedRecordInput, conditions: Condition[]): Encounter {
  const { encounter, state } = input;
  const codedIds = new Set([
    ...input.previousConditions.map((c) => `Condition/${c.id ?? ''}`),
    ...conditions.map((c) => `Condition/${c.id ?? ''}`),
  ]);
  const clinical = (encounter.diagnosis ?? []).filter((d) => !codedIds.has(d.condition.reference ?? ''));
  const ordered = claimOrder(
    conditions.map((c, i) => ({ c, principal: input.diagnoses[i]?.principal === true })),
  );
  const coded: EncounterDiagnosis[] = ordered.map(({ c }, i) => ({
    condition: { reference: `Condition/${c.id ?? ''}` },
    use: { coding: [{ system: DIAGNOSIS_ROLE, code: 'billing', display: 'Billing' }] },
    rank: i + 1,
  }));
  return { ...withState(encounter, state), diagnosis: [...clinical, ...coded] };
}

/**
 * The encounter with its coding state, twice: a meta.tag the worklist searches on, and an
 * extension in the content. The store skips a bundle write whose content (meta aside) equals the
 * current version, so a tag-only change would be dropped; the extension makes the change real.
 */
export function withState(encounter: Encounter, state: CodingState): Encounter {
  const tags = (encounter.meta?.tag ?? []).filter((t) => t.system !== STATE_SYSTEM);
  const extension = (encounter.extension ?? []).filter((e) => e.url !== STATE_EXTENSION);
  return {
    ...encounter,
    meta: { ...encounter.meta, tag: [...tags, { system: STATE_SYSTEM, code: state }] },
    extension: [...extension, { url: STATE_EXTENSION, valueCode: state }],
  };
}

/** Diagnoses in claim order: the principal first, then as the coder listed them. */
export function claimOrder<T extends { principal: boolean }>(items: T[]): T[] {
  return [...items.filter((d) => d.principal), ...items.filter((d) => !d.principal)];
}

function claim(input: CodedRecordInput, conditions: Condition[], procedures: Procedure[]): Claim {
  const { ctx, encounter, coder, now, state } = input;
  const facility = ctx.classLabel !== 'outpatient';
  const ordered = claimOrder(input.diagnoses.map((d, i) => ({ ...d, condition: conditions[i] })));
  return {
    resourceType: 'Claim',
    id: claimIdFor(ctx.encounterId),
    meta: { tag: [{ ...CODED_TAG }] },
    // Draft while the coding may still change; active once final (the bill drops).
    status: state === 'final' ? 'active' : 'draft',
    type: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/claim-type',
          code: facility ? 'institutional' : 'professional',
        },
      ],
    },
    use: 'claim',
    patient: { reference: `Patient/${ctx.patientId}` },
    billablePeriod: { start: ctx.admit, end: ctx.discharge },
    created: now,
    enterer: userRef(coder),
    provider: encounter.serviceProvider?.reference
      ? { reference: encounter.serviceProvider.reference }
      : { display: 'The facility' },
    priority: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }],
    },
    insurance: [
      { sequence: 1, focal: true, coverage: { display: 'Coverage as registered for the encounter' } },
    ],
    diagnosis: ordered.map((d, i) => ({
      sequence: i + 1,
      diagnosisCodeableConcept: concept('icd10cm', d.code, d.display),
      ...(d.principal
        ? {
            type: [
              {
                coding: [
                  { system: 'http://terminology.hl7.org/CodeSystem/ex-diagnosistype', code: 'principal' },
                ],
              },
            ],
          }
        : {}),
      ...(d.poa ? { onAdmission: { coding: [poaCoding(d.poa)] } } : {}),
    })),
    procedure: input.procedures.map((p, i) => ({
      sequence: i + 1,
      ...(p.date ? { date: p.date } : {}),
      procedureCodeableConcept: concept(p.system, p.code, p.display),
    })),
    item: [
      {
        sequence: 1,
        productOrService: { text: 'Services of the encounter' },
        encounter: [{ reference: `Encounter/${ctx.encounterId}` }],
        diagnosisSequence: ordered.map((_, i) => i + 1),
        ...(procedures.length ? { procedureSequence: procedures.map((_, i) => i + 1) } : {}),
      },
    ],
  };
}
