import type { CodeSystemId } from './systems.ts';

/** The kinds of tabular instructional notes, as named in the ICD-10-CM tabular XML. */
export const NOTE_KINDS = [
  'includes',
  'inclusionTerm',
  'excludes1',
  'excludes2',
  'codeFirst',
  'useAdditionalCode',
  'codeAlso',
  'notes',
  'sevenChrNote',
  'sevenChrDef',
] as const;
export type NoteKind = (typeof NOTE_KINDS)[number];

/** Where a note is printed: the code inherits notes from every level above it. */
export const NOTE_LEVELS = ['chapter', 'section', 'category', 'code'] as const;
export type NoteLevel = (typeof NOTE_LEVELS)[number];

export interface CodeNote {
  kind: NoteKind;
  text: string;
  /** For sevenChrDef: the 7th character this text defines. */
  chr?: string;
  level: NoteLevel;
  /** The chapter number, section range or code the note is printed under. */
  from: string;
}

export interface CodeHit {
  code: string;
  display: string;
  system: CodeSystemId;
  version: string;
  billable: boolean;
  /** The loaded years in which the code is billable (a code valid in one year and not another shows it). */
  validIn: string[];
  /** The year whose tabular gave the notes (the nearest year with one), when it is not `version`. */
  notesFrom?: string | undefined;
  notes: CodeNote[];
}

export interface SearchParams {
  q: string;
  system?: CodeSystemId | undefined;
  fy?: string | undefined;
  limit?: number | undefined;
}

export interface LoadedFile {
  file: string;
  system: CodeSystemId;
  version: string;
  part: string;
  rows: number;
  status: 'loaded' | 'unchanged';
}

export interface LoadReport {
  files: LoadedFile[];
  skipped: string[];
  millis: number;
}

export type ProgressFn = (done: number, total: number, label: string) => void;

export interface CodeSetSummary {
  system: CodeSystemId;
  version: string;
  count: number;
}

export interface Edit {
  codes: string[];
  severity: 'error' | 'warning';
  kind: string;
  message: string;
  /** A hard stop: no override clears it, only a corrected code (principal missing, invalid code...). */
  hardStop?: boolean | undefined;
}

export interface CodingRequest {
  setting: 'inpatient' | 'outpatient';
  patient: { age: number; sex: 'male' | 'female' | 'other' | 'unknown' };
  admitDate?: string | undefined;
  dischargeDate?: string | undefined;
  serviceDate?: string | undefined;
  diagnoses: Array<{ code: string; principal?: boolean | undefined; poa?: string | undefined }>;
  procedures: Array<{ code: string; date?: string | undefined }>;
}

/** One code or header as loaded (code_entry), as the in-memory code cache and search index hold it. */
export interface CodeRow {
  system: CodeSystemId;
  version: string;
  key: string;
  code: string;
  display: string;
  billable: boolean;
  kind: string;
  parentKey: string | null;
  validFrom: string | null;
  validTo: string | null;
}
