import type {
  Bundle,
  Condition,
  DiagnosticReport,
  DocumentReference,
  Encounter,
  Immunization,
  MedicationRequest,
  Observation,
  Patient,
  Procedure,
  Reference,
  Resource,
} from '@medplum/fhirtypes';
import { refId } from '../../fhir-format.ts';

/** What belongs to one encounter, grouped from the patient's $everything bundle. */
export interface EncounterItems {
  conditions: Condition[];
  procedures: Procedure[];
  medications: MedicationRequest[];
  observations: Observation[];
  documents: DocumentReference[];
  reports: DiagnosticReport[];
  immunizations: Immunization[];
}

export interface ChartData {
  patient: Patient;
  /** Newest first. */
  encounters: Encounter[];
  byEncounter: Map<string, EncounterItems>;
  documents: DocumentReference[];
  /** Resources of the patient not tied to an encounter, by type. */
  unlinked: Map<string, number>;
}

const emptyItems = (): EncounterItems => ({
  conditions: [],
  procedures: [],
  medications: [],
  observations: [],
  documents: [],
  reports: [],
  immunizations: [],
});

export const encounterStart = (e: Encounter): string => e.period?.start ?? '';

function encounterOf(r: Resource): Reference | undefined {
  switch (r.resourceType) {
    case 'Condition':
    case 'Procedure':
    case 'MedicationRequest':
    case 'Observation':
    case 'DiagnosticReport':
    case 'Immunization':
      return r.encounter;
    case 'DocumentReference':
      return r.context?.encounter?.[0];
    default:
      return undefined;
  }
}

/** Groups the bundle once; every chart view reads from the result. */
export function groupChart(bundle: Bundle, patientId: string): ChartData {
  const resources = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is Resource => !!r);
  const patient = resources.find((r): r is Patient => r.resourceType === 'Patient' && r.id === patientId);
  if (!patient) throw new Error('The chart came back without its patient');
  const encounters = resources
    .filter((r): r is Encounter => r.resourceType === 'Encounter')
    .sort((a, b) => encounterStart(b).localeCompare(encounterStart(a)));
  const byEncounter = new Map<string, EncounterItems>(encounters.map((e) => [e.id ?? '', emptyItems()]));
  const unlinked = new Map<string, number>();
  const documents: DocumentReference[] = [];
  for (const r of resources) {
    if (r.resourceType === 'DocumentReference') documents.push(r);
    const id = refId(encounterOf(r));
    const items = id ? byEncounter.get(id) : undefined;
    if (!items) {
      if (
        r.resourceType !== 'Patient' &&
        r.resourceType !== 'Encounter' &&
        r.resourceType !== 'Organization' &&
        r.resourceType !== 'Practitioner' &&
        r.resourceType !== 'Location'
      ) {
        unlinked.set(r.resourceType, (unlinked.get(r.resourceType) ?? 0) + 1);
      }
      continue;
    }
    switch (r.resourceType) {
      case 'Condition':
        items.conditions.push(r);
        break;
      case 'Procedure':
        items.procedures.push(r);
        break;
      case 'MedicationRequest':
        items.medications.push(r);
        break;
      case 'Observation':
        items.observations.push(r);
        break;
      case 'DocumentReference':
        items.documents.push(r);
        break;
      case 'DiagnosticReport':
        items.reports.push(r);
        break;
      case 'Immunization':
        items.immunizations.push(r);
        break;
      default:
        break;
    }
  }
  documents.sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''));
  return { patient, encounters, byEncounter, documents, unlinked };
}
