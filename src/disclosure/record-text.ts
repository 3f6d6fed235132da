import type { CodeableConcept, Resource } from '@medplum/fhirtypes';
import { clinicalDate } from './selection.ts';

/**
 * Records in words for the release packet: a title line and detail lines per record, so the
 * recipient reads a chart, not JSON. Unknown shapes fall back to the record's type and date.
 */

export interface RecordText {
  reference: string;
  type: string;
  date?: string;
  title: string;
  lines: string[];
}

export const TYPE_HEADINGS: Record<string, string> = {
  Encounter: 'Visits',
  Condition: 'Problems and diagnoses',
  Procedure: 'Procedures',
  Observation: 'Results and vital signs',
  DiagnosticReport: 'Reports',
  MedicationRequest: 'Medications ordered',
  MedicationStatement: 'Medications taken',
  AllergyIntolerance: 'Allergies',
  Immunization: 'Immunizations',
  CarePlan: 'Care plans',
  DocumentReference: 'Clinical documents',
};

type Loose = Record<string, unknown>;

export function conceptText(concept: CodeableConcept | undefined): string | undefined {
  if (!concept) return undefined;
  const coding = concept.coding?.[0];
  return concept.text ?? coding?.display ?? coding?.code;
}

const concept = (r: Loose, key: string): string | undefined =>
  conceptText(r[key] as CodeableConcept | undefined);
const firstConcept = (r: Loose, key: string): string | undefined =>
  conceptText((r[key] as CodeableConcept[] | undefined)?.[0]);
const str = (r: Loose, key: string): string | undefined => (typeof r[key] === 'string' ? r[key] : undefined);

function observationValue(r: Loose): string | undefined {
  const q = r.valueQuantity as { value?: number; unit?: string; code?: string } | undefined;
  if (q?.value !== undefined) return `${q.value} ${q.unit ?? q.code ?? ''}`.trim();
  const components = r.component as Array<Loose> | undefined;
  if (components?.length)
    return components
      .map((c) => `${concept(c, 'code') ?? ''} ${observationValue(c) ?? ''}`.trim())
      .filter(Boolean)
      .join('; ');
  return (
    str(r, 'valueString') ??
    concept(r, 'valueCodeableConcept') ??
    (typeof r.valueBoolean === 'boolean' ? String(r.valueBoolean) : undefined)
  );
}

/** The text of a document's plain-text attachments (clinical notes). */
function documentText(r: Loose): string[] {
  const content =
    (r.content as Array<{ attachment?: { contentType?: string; data?: string; title?: string } }>) ?? [];
  return content.flatMap((c) => {
    const a = c.attachment;
    if (!a?.data || !a.contentType?.startsWith('text/')) return a?.title ? [`Attachment: ${a.title}`] : [];
    return Buffer.from(a.data, 'base64').toString('utf8').split(/\r?\n/);
  });
}

function titleOf(resource: Resource): { title: string; lines: string[] } {
  const r = resource as unknown as Loose;
  switch (resource.resourceType) {
    case 'Encounter': {
      const cls = (r.class as { display?: string; code?: string } | undefined) ?? {};
      const period = r.period as { start?: string; end?: string } | undefined;
      return {
        title: `${firstConcept(r, 'type') ?? cls.display ?? cls.code ?? 'Visit'} (${str(r, 'status') ?? ''})`,
        lines: [
          ...(period ? [`From ${period.start ?? '?'} to ${period.end ?? 'ongoing'}`] : []),
          ...(firstConcept(r, 'reasonCode') ? [`Reason: ${firstConcept(r, 'reasonCode')}`] : []),
        ],
      };
    }
    case 'Condition':
      return {
        title: concept(r, 'code') ?? 'Condition',
        lines: [`Status: ${concept(r, 'clinicalStatus') ?? 'unknown'}`],
      };
    case 'Observation':
      return {
        title: `${concept(r, 'code') ?? 'Observation'}: ${observationValue(r) ?? 'no value'}`,
        lines: [],
      };
    case 'Procedure':
      return {
        title: concept(r, 'code') ?? 'Procedure',
        lines: [`Status: ${str(r, 'status') ?? 'unknown'}`],
      };
    case 'DiagnosticReport':
      return {
        title: concept(r, 'code') ?? 'Report',
        lines: str(r, 'conclusion') ? [`Conclusion: ${str(r, 'conclusion')}`] : [],
      };
    case 'MedicationRequest':
    case 'MedicationStatement': {
      const dosage = (r.dosageInstruction ?? r.dosage) as Array<{ text?: string }> | undefined;
      return {
        title: concept(r, 'medicationCodeableConcept') ?? 'Medication',
        lines: [
          `Status: ${str(r, 'status') ?? 'unknown'}`,
          ...(dosage?.[0]?.text ? [`Dosage: ${dosage[0].text}`] : []),
        ],
      };
    }
    case 'AllergyIntolerance':
      return {
        title: concept(r, 'code') ?? 'Allergy',
        lines: str(r, 'criticality') ? [`Criticality: ${str(r, 'criticality')}`] : [],
      };
    case 'Immunization':
      return { title: concept(r, 'vaccineCode') ?? 'Immunization', lines: [] };
    case 'CarePlan':
      return { title: str(r, 'title') ?? firstConcept(r, 'category') ?? 'Care plan', lines: [] };
    case 'DocumentReference':
      return { title: concept(r, 'type') ?? str(r, 'description') ?? 'Document', lines: documentText(r) };
    default:
      return { title: resource.resourceType, lines: [] };
  }
}

export function recordText(resource: Resource): RecordText {
  const { title, lines } = titleOf(resource);
  const date = clinicalDate(resource);
  return {
    reference: `${resource.resourceType}/${resource.id ?? ''}`,
    type: resource.resourceType,
    ...(date ? { date } : {}),
    title,
    lines,
  };
}
