import type { DocumentReference, Observation } from '@medplum/fhirtypes';
import type { BundleBuilder } from './bundle-builder.ts';
import { CHRONIC } from './clinical.ts';
import type { LabTag } from './clinical.ts';
import { SYSTEMS } from './codes.ts';
import type { EncounterInput, Emitted } from './encounter-input.ts';
import type { Clinician } from './facility.ts';
import { NOTE_TYPES, noteText } from './notes.ts';
import type { NoteKind } from './notes.ts';
import { labResults, summarise, vitalSigns } from './observations.ts';
import type { ObservationContext } from './observations.ts';
import type { Rng } from './prng.ts';
import { DAY, HOUR, isoInstant } from './time.ts';

const CHRONIC_BY_CODE = new Map(CHRONIC.map((c) => [c.code, c]));

export interface ChartFacts {
  start: string;
  end: string | undefined;
  age: number;
  encounterUrn: string;
  diagnoses: Emitted[];
  procedures: Emitted[];
  medicationTexts: string[];
  disposition: string | undefined;
}

/** Observations and notes: drawn from their own stream so lite output is a subset of full. */
export function chartExtras(
  rng: Rng,
  b: BundleBuilder,
  e: EncounterInput,
  attending: Clinician,
  f: ChartFacts,
): void {
  const { p, person } = e;
  const tags: Array<LabTag | 'diabetes' | 'ckd'> = [...(p.scenario.labs ?? [])];
  if (person.chronic.includes('E11.9')) tags.push('diabetes');
  if (person.chronic.includes('N18.9')) tags.push('ckd');
  const ctx: ObservationContext = {
    subjectUrn: e.patientUrn,
    encounterUrn: f.encounterUrn,
    cls: p.cls,
    age: f.age,
    heightCm: person.heightCm,
    weightKg: person.weightKg,
    tags,
    hypertensive: person.chronic.includes('I10'),
  };
  const admission = vitalSigns(rng, ctx, f.start, p.cls !== 'EMER');
  const labs = labResults(rng, ctx, isoInstant(p.start + HOUR));
  const observations: Observation[] = [...admission, ...labs];
  if (p.cls === 'IMP') {
    const days = Math.min(3, Math.floor(((p.end ?? p.start) - p.start) / DAY));
    for (let day = 1; day <= days; day++)
      observations.push(...vitalSigns(rng, ctx, isoInstant(p.start + day * DAY), false));
  }
  for (const o of observations) b.add(rng, o);
  const summary = summarise([...admission, ...labs]);
  const kinds: Array<{ kind: NoteKind; at: number; day?: number }> = [];
  switch (p.cls) {
    case 'IMP':
      kinds.push({ kind: 'history-and-physical', at: p.start + 2 * HOUR });
      if (p.end !== undefined && p.end - p.start >= 3 * DAY)
        kinds.push({ kind: 'progress-note', at: p.start + DAY + 3 * HOUR, day: 2 });
      if (p.end !== undefined) kinds.push({ kind: 'discharge-summary', at: p.end });
      break;
    case 'EMER':
      kinds.push({ kind: 'ed-note', at: p.end ?? p.start + HOUR });
      break;
    case 'AMB':
      kinds.push({ kind: 'progress-note', at: p.end ?? p.start });
      break;
    default: {
      const unknown: never = p.cls;
      throw new Error(`unknown class ${String(unknown)}`);
    }
  }
  const name = `${e.d.given} ${e.d.family}`;
  const history = person.chronic.map((c) => CHRONIC_BY_CODE.get(c)?.phrase ?? c).filter((h) => h !== '');
  for (const k of kinds) {
    const text = noteText(rng, {
      kind: k.kind,
      cls: p.cls,
      patientName: name,
      mrn: e.mrn,
      birthDate: e.d.birthDate,
      age: f.age,
      sex: person.sex === 'female' ? 'woman' : 'man',
      author: attending.ref.display,
      start: f.start,
      ...(f.end ? { end: f.end } : {}),
      complaint: p.scenario.complaint,
      course: p.scenario.course,
      principal: f.diagnoses[0]?.text ?? '',
      secondary: f.diagnoses.slice(1).map((x) => x.text),
      history,
      procedures: f.procedures.map((x) => x.text),
      medications: f.medicationTexts,
      vitals: summary.vitals,
      labs: summary.labs,
      ...(f.disposition ? { disposition: f.disposition } : {}),
      ...(k.day ? { day: k.day } : {}),
    });
    const type = NOTE_TYPES[k.kind];
    const date = isoInstant(k.at);
    const doc: DocumentReference = {
      resourceType: 'DocumentReference',
      status: 'current',
      docStatus: k.kind === 'discharge-summary' || p.end !== undefined ? 'final' : 'preliminary',
      type: {
        coding: [{ system: SYSTEMS.loinc, code: type.code, display: type.display }],
        text: type.display,
      },
      category: [
        { coding: [{ system: SYSTEMS.documentCategory, code: 'clinical-note', display: 'Clinical Note' }] },
      ],
      subject: { reference: e.patientUrn },
      date,
      author: [{ ...attending.ref }],
      description: type.display,
      content: [
        {
          attachment: {
            contentType: 'text/plain',
            language: 'en-US',
            data: Buffer.from(text, 'utf8').toString('base64'),
            title: type.display,
            creation: date,
          },
        },
      ],
      context: {
        encounter: [{ reference: f.encounterUrn }],
        period: f.end ? { start: f.start, end: f.end } : { start: f.start },
      },
    };
    b.add(rng, doc);
  }
}
