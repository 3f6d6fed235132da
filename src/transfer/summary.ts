import { randomUUID } from 'node:crypto';
import type {
  Bundle,
  CodeableConcept,
  Composition,
  CompositionSection,
  Patient,
  Resource,
} from '@medplum/fhirtypes';
import { assertValidResource, withoutEmptyElements } from '../fhir/definitions.ts';
import { isOutcomeError } from '../fhir/outcomes.ts';
import type { FhirStore } from '../fhir/store.ts';
import type { Criterion, SearchSpec } from '../fhir/search/typed.ts';

/**
 * The transfer summary (`Patient/[id]/$summary`): an International Patient Summary-style FHIR
 * document for the provider a patient moves to: a Composition with the IPS sections (problems,
 * medications, allergies, procedures, results), each listing its records, and the records
 * themselves, read through the caller's store (so roles, labels and the audit apply as to any
 * read).
 */

const LOINC = 'http://loinc.org';
const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const LIST_EMPTY_REASON = 'http://terminology.hl7.org/CodeSystem/list-empty-reason';

/** The most records a section lists (results newest first); a summary, not the chart. */
export const SECTION_LIMIT = 200;

export interface SectionDefinition {
  key: 'problems' | 'medications' | 'allergies' | 'procedures' | 'results';
  title: string;
  /** The IPS section's LOINC code. */
  code: string;
  display: string;
  /** What is read for it: a typed search per type, each narrowed to the patient. */
  searches: Array<{ type: string; where?: Criterion[]; sort?: SearchSpec['sort'] }>;
  /** Said when the section has no records. */
  none: string;
}

export const SECTIONS: readonly SectionDefinition[] = [
  {
    key: 'problems',
    title: 'Problems',
    code: '11450-4',
    display: 'Problem list - Reported',
    searches: [{ type: 'Condition', sort: [{ param: 'recorded-date', descending: true }] }],
    none: 'No problems recorded',
  },
  {
    key: 'medications',
    title: 'Medications',
    code: '10160-0',
    display: 'History of Medication use Narrative',
    searches: [
      { type: 'MedicationRequest', sort: [{ param: 'authoredon', descending: true }] },
      { type: 'MedicationStatement' },
    ],
    none: 'No medications recorded',
  },
  {
    key: 'allergies',
    title: 'Allergies and intolerances',
    code: '48765-2',
    display: 'Allergies and adverse reactions Document',
    searches: [{ type: 'AllergyIntolerance' }],
    none: 'No known allergies recorded',
  },
  {
    key: 'procedures',
    title: 'Procedures',
    code: '47519-4',
    display: 'History of Procedures Document',
    searches: [{ type: 'Procedure', sort: [{ param: 'date', descending: true }] }],
    none: 'No procedures recorded',
  },
  {
    key: 'results',
    title: 'Results',
    code: '30954-2',
    display: 'Relevant diagnostic tests/laboratory data Narrative',
    searches: [
      {
        type: 'Observation',
        where: [{ param: 'category', tokens: [{ system: OBSERVATION_CATEGORY, code: 'laboratory' }] }],
        sort: [{ param: 'date', descending: true }],
      },
      { type: 'DiagnosticReport', sort: [{ param: 'date', descending: true }] },
    ],
    none: 'No results recorded',
  },
];

export interface SummarySection {
  definition: SectionDefinition;
  records: Resource[];
}

/** The patient's records per section, through the caller's store (types it may not read are left out). */
export async function readSections(store: FhirStore, patientId: string): Promise<SummarySection[]> {
  const out: SummarySection[] = [];
  for (const definition of SECTIONS) {
    const records: Resource[] = [];
    for (const search of definition.searches) {
      const where: Criterion[] = [
        { param: 'patient', references: [`Patient/${patientId}`] },
        ...(search.where ?? []),
      ];
      if (!mayRead(store, search.type)) continue;
      const found = await store.find({
        type: search.type,
        where,
        ...(search.sort ? { sort: search.sort } : {}),
        count: SECTION_LIMIT,
      });
      records.push(...found.matches);
    }
    out.push({ definition, records: records.slice(0, SECTION_LIMIT) });
  }
  return out;
}

/** Whether the caller may search a type, asked of the store's own check. */
function mayRead(store: FhirStore, type: string): boolean {
  try {
    store.assertMay(type, 'search');
    return true;
  } catch (err) {
    if (isOutcomeError(err) && err.status === 403) return false;
    throw err;
  }
}

/** Words for a code: its text, else the first coding's display or code. */
export function conceptText(concept: CodeableConcept | undefined): string {
  const coding = concept?.coding?.find((c) => c.display) ?? concept?.coding?.[0];
  return concept?.text ?? coding?.display ?? coding?.code ?? '(not coded)';
}

/** One line of a record as the narrative and the PDF say it. */
export function recordLine(resource: Resource): string {
  const parts: Array<string | undefined> = [];
  switch (resource.resourceType) {
    case 'Condition':
      parts.push(
        conceptText(resource.code),
        resource.clinicalStatus && conceptText(resource.clinicalStatus),
        (resource.onsetDateTime ?? resource.recordedDate)?.slice(0, 10),
      );
      break;
    case 'MedicationRequest':
      parts.push(
        resource.medicationCodeableConcept
          ? conceptText(resource.medicationCodeableConcept)
          : resource.medicationReference?.display,
        resource.status,
        resource.dosageInstruction?.[0]?.text,
        resource.authoredOn?.slice(0, 10),
      );
      break;
    case 'MedicationStatement':
      parts.push(
        resource.medicationCodeableConcept
          ? conceptText(resource.medicationCodeableConcept)
          : resource.medicationReference?.display,
        resource.status,
        resource.dosage?.[0]?.text,
      );
      break;
    case 'AllergyIntolerance':
      parts.push(
        conceptText(resource.code),
        resource.criticality && `criticality ${resource.criticality}`,
        resource.reaction?.flatMap((r) => r.manifestation.map(conceptText)).join(', '),
      );
      break;
    case 'Procedure':
      parts.push(
        conceptText(resource.code),
        (resource.performedDateTime ?? resource.performedPeriod?.start)?.slice(0, 10),
      );
      break;
    case 'Observation': {
      const q = resource.valueQuantity;
      const value = q
        ? `${q.value ?? ''} ${q.unit ?? q.code ?? ''}`.trim()
        : (resource.valueString ??
          (resource.valueCodeableConcept && conceptText(resource.valueCodeableConcept)));
      parts.push(conceptText(resource.code), value, resource.effectiveDateTime?.slice(0, 10));
      break;
    }
    case 'DiagnosticReport':
      parts.push(conceptText(resource.code), resource.conclusion, resource.effectiveDateTime?.slice(0, 10));
      break;
    default:
      parts.push(resource.resourceType);
  }
  return parts.filter((p): p is string => !!p && p.trim() !== '').join(' · ');
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function narrative(lines: string[]): { status: 'generated'; div: string } {
  const body =
    lines.length === 1
      ? `<p>${escapeXml(lines[0] ?? '')}</p>`
      : `<ul>${lines.map((l) => `<li>${escapeXml(l)}</li>`).join('')}</ul>`;
  return { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${body}</div>` };
}

const reference = (r: Resource): string => `${r.resourceType}/${r.id ?? ''}`;

function compositionSection(section: SummarySection): CompositionSection {
  const { definition, records } = section;
  const base: CompositionSection = {
    title: definition.title,
    code: { coding: [{ system: LOINC, code: definition.code, display: definition.display }] },
  };
  if (records.length === 0)
    return {
      ...base,
      text: narrative([definition.none]),
      emptyReason: {
        coding: [{ system: LIST_EMPTY_REASON, code: 'unavailable', display: 'Unavailable' }],
      },
    };
  return {
    ...base,
    text: narrative(records.map(recordLine)),
    entry: records.map((r) => ({ reference: reference(r) })),
  };
}

function patientName(patient: Patient): string {
  const name = patient.name?.[0];
  return (
    name?.text ??
    ([...(name?.given ?? []), name?.family].filter(Boolean).join(' ') || `Patient ${patient.id ?? ''}`)
  );
}

/**
 * The document Bundle: the Composition first, then the Patient and every record a section
 * lists, each with its full URL on this server. Checked against the R4 definitions as any
 * stored resource is, so no malformed document leaves.
 */
export function summaryDocument(
  patient: Patient,
  sections: SummarySection[],
  options: { baseUrl: string; now: Date; author: string },
): Bundle {
  const timestamp = options.now.toISOString();
  const composition: Composition = {
    resourceType: 'Composition',
    id: randomUUID(),
    status: 'final',
    type: { coding: [{ system: LOINC, code: '60591-5', display: 'Patient summary Document' }] },
    subject: { reference: reference(patient), display: patientName(patient) },
    date: timestamp,
    author: [{ display: options.author }],
    title: `Patient summary: ${patientName(patient)}`,
    confidentiality: 'N',
    section: sections.map(compositionSection),
  };
  const records = [patient, ...sections.flatMap((s) => s.records)];
  const unique = new Map(records.map((r) => [reference(r), r]));
  const bundle: Bundle = withoutEmptyElements({
    resourceType: 'Bundle',
    id: randomUUID(),
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${randomUUID()}` },
    type: 'document',
    timestamp,
    entry: [composition, ...unique.values()].map((resource) => ({
      fullUrl: `${options.baseUrl}/${reference(resource)}`,
      resource,
    })),
  });
  assertValidResource(bundle);
  return bundle;
}

/** The summary of a patient the caller may read (404, 410 or 403 as a read would be). */
export async function patientSummary(
  store: FhirStore,
  patientId: string,
  options: { now?: Date } = {},
): Promise<Bundle> {
  const patient = (await store.read('Patient', patientId)) as Patient;
  const sections = await readSections(store, patientId);
  return summaryDocument(patient, sections, {
    baseUrl: store.baseUrl,
    now: options.now ?? new Date(),
    author: `${store.ctx.username} (Custodian)`,
  });
}
