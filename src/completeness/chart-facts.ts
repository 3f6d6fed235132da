import type { DocumentReference, Encounter, Procedure, Reference } from '@medplum/fhirtypes';
import { referencedId } from '../fhir/definitions.ts';

/**
 * What the rules need to know about one chart, taken from its FHIR resources. Pure: the
 * evaluator reads the resources through the store and hands them here.
 */

export interface Clinician {
  id: string;
  name?: string;
}

export interface ChartDocument {
  id: string;
  types: Array<{ system: string; code: string }>;
  date: string | undefined;
  docStatus: string | undefined;
  signed: boolean;
  author: Clinician | undefined;
  /** Resources the document is about (context.related), e.g. the Procedure an op note describes. */
  related: string[];
}

export interface ChartProcedure {
  id: string;
  performed: string | undefined;
  surgical: boolean;
  performer: Clinician | undefined;
}

export interface ChartFacts {
  encounterId: string;
  patientId: string;
  classCode: string;
  /** The service line the chart is reported under. */
  service: string;
  status: string;
  admittedAt: string | undefined;
  dischargedAt: string | undefined;
  attending: Clinician | undefined;
  documents: ChartDocument[];
  procedures: ChartProcedure[];
}

const SNOMED = 'http://snomed.info/sct';
const SURGICAL_PROCEDURE = '387713003';
const ICD10PCS = 'http://www.cms.gov/Medicare/Coding/ICD10';
const CPT = 'http://www.ama-assn.org/go/cpt';

function clinician(ref: Reference | undefined): Clinician | undefined {
  const id = referencedId(ref, 'Practitioner');
  if (!id) return undefined;
  return ref?.display ? { id, name: ref.display } : { id };
}

/** The attending (ATND), else the first practitioner taking part. */
function attendingOf(encounter: Encounter): Clinician | undefined {
  const participants = encounter.participant ?? [];
  const attending = participants.find((p) =>
    (p.type ?? []).some((t) => (t.coding ?? []).some((c) => c.code === 'ATND')),
  );
  for (const p of attending ? [attending, ...participants] : participants) {
    const c = clinician(p.individual);
    if (c) return c;
  }
  return undefined;
}

/**
 * Surgical: categorised so (SNOMED 387713003), or coded in ICD-10-PCS's Medical and Surgical
 * section (codes starting 0) or in CPT's surgery range (10004-69990).
 */
export function isSurgical(procedure: Procedure): boolean {
  if ((procedure.category?.coding ?? []).some((c) => c.system === SNOMED && c.code === SURGICAL_PROCEDURE))
    return true;
  return (procedure.code?.coding ?? []).some((c) => {
    if (c.system === ICD10PCS) return /^0[0-9A-Z]{6}$/.test(c.code ?? '');
    if (c.system === CPT && /^\d{5}$/.test(c.code ?? '')) {
      const n = Number(c.code);
      return n >= 10004 && n <= 69990;
    }
    return false;
  });
}

function serviceOf(encounter: Encounter): string {
  const st = encounter.serviceType;
  return (
    st?.text ??
    st?.coding?.[0]?.display ??
    encounter.class.display ??
    { IMP: 'Inpatient', EMER: 'Emergency', AMB: 'Ambulatory', OBSENC: 'Observation' }[
      encounter.class.code ?? ''
    ] ??
    encounter.class.code ??
    'Unspecified'
  );
}

function documentOf(doc: DocumentReference & { id: string }): ChartDocument {
  return {
    id: doc.id,
    types: (doc.type?.coding ?? []).flatMap((c) =>
      c.system && c.code ? [{ system: c.system, code: c.code }] : [],
    ),
    date: doc.date ?? doc.content[0]?.attachment.creation,
    docStatus: doc.docStatus,
    signed: !!doc.authenticator?.reference,
    author: (doc.author ?? []).map(clinician).find((c) => c !== undefined),
    related: (doc.context?.related ?? []).flatMap((r) => (r.reference ? [r.reference] : [])),
  };
}

function procedureOf(p: Procedure & { id: string }): ChartProcedure {
  return {
    id: p.id,
    performed: p.performedDateTime ?? p.performedPeriod?.start,
    surgical: isSurgical(p),
    performer: (p.performer ?? []).map((x) => clinician(x.actor)).find((c) => c !== undefined),
  };
}

/** Documents that count: current ones not entered in error. */
function counts(doc: DocumentReference): boolean {
  return doc.status === 'current' && doc.docStatus !== 'entered-in-error';
}

export function chartFacts(
  encounter: Encounter & { id: string },
  documents: ReadonlyArray<DocumentReference & { id: string }>,
  procedures: ReadonlyArray<Procedure & { id: string }>,
): ChartFacts | undefined {
  const patientId = referencedId(encounter.subject, 'Patient');
  if (!patientId) return undefined;
  return {
    encounterId: encounter.id,
    patientId,
    classCode: encounter.class.code ?? '',
    service: serviceOf(encounter),
    status: encounter.status,
    admittedAt: encounter.period?.start,
    dischargedAt: encounter.period?.end,
    attending: attendingOf(encounter),
    documents: documents.filter(counts).map(documentOf),
    procedures: procedures
      .filter((p) => p.status !== 'entered-in-error' && p.status !== 'not-done')
      .map(procedureOf),
  };
}
