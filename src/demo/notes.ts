import type { EncounterClass } from './clinical.ts';
import type { Rng } from './prng.ts';

/**
 * Clinical note text from templates. Notes name the patient's diagnoses, procedures and
 * medications so that coding, CDI and chart-search features have something real to work on.
 */
export type NoteKind = 'discharge-summary' | 'history-and-physical' | 'progress-note' | 'ed-note';

export const NOTE_TYPES: Readonly<Record<NoteKind, { code: string; display: string }>> = {
  'discharge-summary': { code: '18842-5', display: 'Discharge summary' },
  'history-and-physical': { code: '34117-2', display: 'History and physical note' },
  'progress-note': { code: '11506-3', display: 'Progress note' },
  'ed-note': { code: '34111-5', display: 'Emergency department note' },
};

export interface NoteInput {
  kind: NoteKind;
  cls: EncounterClass;
  patientName: string;
  mrn: string;
  birthDate: string;
  age: number;
  sex: string;
  author: string;
  start: string;
  end?: string;
  complaint: string;
  course: readonly string[];
  principal: string;
  secondary: readonly string[];
  history: readonly string[];
  procedures: readonly string[];
  medications: readonly string[];
  vitals: string;
  labs: readonly string[];
  disposition?: string;
  day?: number;
}

const OPENERS = ['presents with', 'comes in with', 'is seen for', 'reports'] as const;
const EXAM_GENERAL = [
  'Alert and oriented, in no acute distress.',
  'Awake, alert, mildly uncomfortable.',
  'Well appearing, conversant.',
] as const;
const EXAM_LUNGS = [
  'Lungs clear to auscultation bilaterally.',
  'Scattered rhonchi at the bases.',
  'Decreased breath sounds at the right base.',
] as const;
const EXAM_HEART = [
  'Regular rate and rhythm, no murmurs.',
  'Irregularly irregular rhythm.',
  'Tachycardic, regular rhythm.',
] as const;

function list(items: readonly string[], empty: string): string {
  return items.length === 0 ? `  ${empty}` : items.map((i) => `  - ${i}`).join('\n');
}

function header(title: string, n: NoteInput): string {
  return [
    title,
    `Patient: ${n.patientName}    MRN: ${n.mrn}    DOB: ${n.birthDate}`,
    `Author: ${n.author}`,
    `Date of service: ${n.start.slice(0, 10)}`,
    '',
  ].join('\n');
}

function historyLine(n: NoteInput): string {
  return n.history.length > 0
    ? `with a history of ${n.history.join(', ')}`
    : 'with no significant past medical history';
}

export function noteText(rng: Rng, n: NoteInput): string {
  switch (n.kind) {
    case 'discharge-summary':
      return [
        header('DISCHARGE SUMMARY', n),
        `Admission date: ${n.start.slice(0, 10)}    Discharge date: ${(n.end ?? n.start).slice(0, 10)}`,
        '',
        `PRINCIPAL DIAGNOSIS: ${n.principal}`,
        'SECONDARY DIAGNOSES:',
        list(n.secondary, 'None.'),
        'PROCEDURES:',
        list(n.procedures, 'None.'),
        '',
        'HOSPITAL COURSE:',
        `${n.age}-year-old ${n.sex} ${historyLine(n)} admitted with ${n.complaint}. ${n.course.join(' ')}`,
        '',
        'DISCHARGE MEDICATIONS:',
        list(n.medications, 'No changes to home medications.'),
        '',
        `DISPOSITION: ${n.disposition ?? 'Home'}. ${rng.pick(['Follow up with primary care in one week.', 'Follow up with primary care in 7-10 days.', 'Return precautions reviewed.'])}`,
      ].join('\n');
    case 'history-and-physical':
      return [
        header('HISTORY AND PHYSICAL', n),
        `CHIEF COMPLAINT: ${n.complaint}`,
        '',
        `HISTORY OF PRESENT ILLNESS: ${n.age}-year-old ${n.sex} ${historyLine(n)} who ${rng.pick(OPENERS)} ${n.complaint}.`,
        '',
        `VITAL SIGNS: ${n.vitals}`,
        `EXAM: ${rng.pick(EXAM_GENERAL)} ${rng.pick(EXAM_LUNGS)} ${rng.pick(EXAM_HEART)}`,
        'LABS:',
        list(n.labs, 'Pending.'),
        '',
        'ASSESSMENT AND PLAN:',
        `  1. ${n.principal}. ${n.course[0] ?? ''}`,
        ...n.secondary.map((s, i) => `  ${i + 2}. ${s}. Continue home regimen.`),
        '',
        'MEDICATIONS ORDERED:',
        list(n.medications, 'None.'),
      ].join('\n');
    case 'progress-note':
      return [
        header(n.cls === 'IMP' ? `PROGRESS NOTE, HOSPITAL DAY ${n.day ?? 2}` : 'OFFICE VISIT', n),
        `SUBJECTIVE: ${n.cls === 'IMP' ? rng.pick(['Feels better today.', 'Slept poorly, pain controlled.', 'No new complaints overnight.']) : `Here for ${n.complaint}.`}`,
        `OBJECTIVE: ${n.vitals}. ${rng.pick(EXAM_GENERAL)}`,
        'ASSESSMENT:',
        list([n.principal, ...n.secondary], 'See above.'),
        `PLAN: ${n.course[n.course.length - 1] ?? ''}`,
        'MEDICATIONS:',
        list(n.medications, 'No changes.'),
      ].join('\n');
    case 'ed-note':
      return [
        header('EMERGENCY DEPARTMENT NOTE', n),
        `CHIEF COMPLAINT: ${n.complaint}`,
        `HPI: ${n.age}-year-old ${n.sex} ${historyLine(n)} who ${rng.pick(OPENERS)} ${n.complaint}.`,
        `VITAL SIGNS: ${n.vitals}`,
        'RESULTS:',
        list(n.labs, 'No labs drawn.'),
        `ED COURSE: ${n.course.join(' ')}`,
        `DIAGNOSIS: ${[n.principal, ...n.secondary].join('; ')}`,
        'MEDICATIONS:',
        list(n.medications, 'None.'),
        `DISPOSITION: ${n.end ? 'Discharged home in stable condition.' : 'Evaluation in progress.'}`,
      ].join('\n');
    default: {
      const unknown: never = n.kind;
      throw new Error(`unknown note kind ${String(unknown)}`);
    }
  }
}
