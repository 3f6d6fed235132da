/**
 * The NAACCR data items this registry abstracts, by item number and XML id (naaccrId) as the
 * NAACCR data dictionary (version 25, XML base dictionary 250) names them, with the level of the
 * NAACCR XML document they belong to and the format or code list each value must have.
 */

export const SECTIONS = ['Patient', 'Diagnosis', 'Stage', 'Treatment', 'Follow-up'] as const;
export type Section = (typeof SECTIONS)[number];

export interface NaaccrItem {
  number: number;
  naaccrId: string;
  label: string;
  /** Element of the NAACCR XML document the item lives under. */
  level: 'Patient' | 'Tumor';
  section: Section;
  /** A date (YYYY, YYYYMM or YYYYMMDD), or a pattern the value must match. */
  format: 'date' | RegExp;
  /** The codes the item allows, with their meaning (the form shows them as choices). */
  codes?: Readonly<Record<string, string>>;
}

const codes = (pairs: Record<string, string>): Readonly<Record<string, string>> => pairs;

export const ITEMS: readonly NaaccrItem[] = [
  {
    number: 20,
    naaccrId: 'patientIdNumber',
    label: 'Patient ID Number',
    level: 'Patient',
    section: 'Patient',
    format: /^\d{8}$/,
  },
  {
    number: 240,
    naaccrId: 'dateOfBirth',
    label: 'Date of Birth',
    level: 'Patient',
    section: 'Patient',
    format: 'date',
  },
  {
    number: 220,
    naaccrId: 'sex',
    label: 'Sex',
    level: 'Patient',
    section: 'Patient',
    format: /^[1-69]$/,
    codes: codes({
      '1': 'Male',
      '2': 'Female',
      '3': 'Other (intersex)',
      '4': 'Transsexual, NOS',
      '5': 'Transsexual, natal male',
      '6': 'Transsexual, natal female',
      '9': 'Unknown',
    }),
  },
  {
    number: 610,
    naaccrId: 'classOfCase',
    label: 'Class of Case',
    level: 'Tumor',
    section: 'Diagnosis',
    format: /^\d{2}$/,
    codes: codes({
      '00': 'Diagnosed here, all treatment elsewhere',
      '10': 'Diagnosed here, initial treatment here, NOS',
      '11': 'Diagnosed in staff physician office, treated here',
      '12': 'Diagnosed in staff physician office, treated here in part',
      '13': 'Diagnosed and part of first course here',
      '14': 'Diagnosed and all first course here',
      '20': 'Diagnosed elsewhere, treated here, NOS',
      '21': 'Diagnosed elsewhere, part of first course here',
      '22': 'Diagnosed elsewhere, all first course here',
      '30': 'Consultation or in-transit care only',
      '31': 'Staff physician office, non-analytic',
      '32': 'Recurrence or progression seen here',
      '33': 'Disease history only',
      '34': 'Type of case not required by CoC, first course here',
      '35': 'Case diagnosed before reference date, first course here',
      '36': 'Type of case not required by CoC, diagnosed elsewhere',
      '37': 'Case diagnosed before reference date, diagnosed elsewhere',
      '38': 'Diagnosed at autopsy',
      '40': 'Physician office only',
      '41': 'Staff physician office only',
      '42': 'Non-staff physician or clinic only',
      '43': 'Pathology or cytology report only',
      '49': 'Death certificate only',
      '99': 'Non-analytic, unknown',
    }),
  },
  {
    number: 390,
    naaccrId: 'dateOfDiagnosis',
    label: 'Date of Diagnosis',
    level: 'Tumor',
    section: 'Diagnosis',
    format: 'date',
  },
  {
    number: 380,
    naaccrId: 'sequenceNumberCentral',
    label: 'Sequence Number--Central',
    level: 'Tumor',
    section: 'Diagnosis',
    format: /^([0-5]\d|6\d|7\d|8[0-8]|9[89])$/,
  },
  {
    number: 400,
    naaccrId: 'primarySite',
    label: 'Primary Site (ICD-O-3)',
    level: 'Tumor',
    section: 'Diagnosis',
    format: /^C(0\d\d|[1-7]\d\d|80\d)$/,
  },
  {
    number: 410,
    naaccrId: 'laterality',
    label: 'Laterality',
    level: 'Tumor',
    section: 'Diagnosis',
    format: /^[0-59]$/,
    codes: codes({
      '0': 'Not a paired site',
      '1': 'Right',
      '2': 'Left',
      '3': 'One side, unspecified',
      '4': 'Bilateral',
      '5': 'Midline',
      '9': 'Paired site, unknown',
    }),
  },
  {
    number: 522,
    naaccrId: 'histologicTypeIcdO3',
    label: 'Histologic Type ICD-O-3',
    level: 'Tumor',
    section: 'Diagnosis',
    format: /^[89]\d{3}$/,
  },
  {
    number: 523,
    naaccrId: 'behaviorCodeIcdO3',
    label: 'Behavior Code ICD-O-3',
    level: 'Tumor',
    section: 'Diagnosis',
    format: /^[0-3]$/,
    codes: codes({ '0': 'Benign', '1': 'Uncertain, borderline', '2': 'In situ', '3': 'Malignant' }),
  },
  {
    number: 3843,
    naaccrId: 'gradeClinical',
    label: 'Grade Clinical',
    level: 'Tumor',
    section: 'Diagnosis',
    format: /^[1-589A-EHLMS]$/,
  },
  {
    number: 490,
    naaccrId: 'diagnosticConfirmation',
    label: 'Diagnostic Confirmation',
    level: 'Tumor',
    section: 'Diagnosis',
    format: /^[1-9]$/,
    codes: codes({
      '1': 'Positive histology',
      '2': 'Positive cytology',
      '3': 'Positive histology and immunophenotyping or genetic testing',
      '4': 'Positive microscopic confirmation, method not specified',
      '5': 'Positive laboratory test or marker study',
      '6': 'Direct visualization without microscopic confirmation',
      '7': 'Radiography and other imaging without microscopic confirmation',
      '8': 'Clinical diagnosis only',
      '9': 'Unknown whether microscopically confirmed',
    }),
  },
  {
    number: 764,
    naaccrId: 'summaryStage2018',
    label: 'Summary Stage 2018',
    level: 'Tumor',
    section: 'Stage',
    format: /^[0-4789]$/,
    codes: codes({
      '0': 'In situ',
      '1': 'Localized',
      '2': 'Regional, direct extension only',
      '3': 'Regional, lymph nodes only',
      '4': 'Regional, extension and nodes',
      '7': 'Distant',
      '8': 'Benign, borderline',
      '9': 'Unknown if extension or metastasis',
    }),
  },
  {
    number: 1200,
    naaccrId: 'rxDateSurgery',
    label: 'RX Date Surgery',
    level: 'Tumor',
    section: 'Treatment',
    format: 'date',
  },
  {
    number: 1290,
    naaccrId: 'rxSummSurgPrimSite',
    label: 'RX Summ--Surg Prim Site',
    level: 'Tumor',
    section: 'Treatment',
    format: /^\d{2}$/,
  },
  {
    number: 1210,
    naaccrId: 'rxDateRadiation',
    label: 'RX Date Radiation',
    level: 'Tumor',
    section: 'Treatment',
    format: 'date',
  },
  {
    number: 1506,
    naaccrId: 'phase1RadiationTreatmentModality',
    label: 'Phase I Radiation Treatment Modality',
    level: 'Tumor',
    section: 'Treatment',
    format: /^\d{2}$/,
  },
  {
    number: 3230,
    naaccrId: 'rxDateSystemic',
    label: 'RX Date Systemic',
    level: 'Tumor',
    section: 'Treatment',
    format: 'date',
  },
  {
    number: 1390,
    naaccrId: 'rxSummChemo',
    label: 'RX Summ--Chemo',
    level: 'Tumor',
    section: 'Treatment',
    format: /^(00|01|02|03|82|85|86|87|88|99)$/,
  },
  {
    number: 1400,
    naaccrId: 'rxSummHormone',
    label: 'RX Summ--Hormone',
    level: 'Tumor',
    section: 'Treatment',
    format: /^(00|01|82|85|86|87|88|99)$/,
  },
  {
    number: 1750,
    naaccrId: 'dateOfLastContact',
    label: 'Date of Last Contact',
    level: 'Patient',
    section: 'Follow-up',
    format: 'date',
  },
  {
    number: 1760,
    naaccrId: 'vitalStatus',
    label: 'Vital Status',
    level: 'Patient',
    section: 'Follow-up',
    format: /^[01]$/,
    codes: codes({ '0': 'Dead', '1': 'Alive' }),
  },
  {
    number: 1770,
    naaccrId: 'cancerStatus',
    label: 'Cancer Status',
    level: 'Tumor',
    section: 'Follow-up',
    format: /^[129]$/,
    codes: codes({ '1': 'No evidence of this tumor', '2': 'Evidence of this tumor', '9': 'Unknown' }),
  },
];

const BY_ID = new Map(ITEMS.map((i) => [i.naaccrId, i]));
const BY_NUMBER = new Map(ITEMS.map((i) => [i.number, i]));

export function itemById(naaccrId: string): NaaccrItem | undefined {
  return BY_ID.get(naaccrId);
}

export function itemByNumber(n: number): NaaccrItem | undefined {
  return BY_NUMBER.get(n);
}

/** Values of one patient or tumour by naaccrId. */
export type ItemValues = Record<string, string>;

/** A NAACCR date: YYYY, YYYYMM or YYYYMMDD, each part a real one (month 01-12, day of that month). */
export function isNaaccrDate(value: string): boolean {
  const m = /^(\d{4})(\d{2})?(\d{2})?$/.exec(value);
  if (!m) return false;
  const year = Number(m[1]);
  if (year < 1850) return false;
  if (m[2] === undefined) return true;
  const month = Number(m[2]);
  if (month < 1 || month > 12) return false;
  if (m[3] === undefined) return true;
  const day = Number(m[3]);
  return day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** A NAACCR date from an ISO date or instant (2024-03-05T...) : 20240305. */
export function naaccrDateOf(iso: string | undefined): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso ?? '');
  return m ? `${m[1]}${m[2]}${m[3]}` : undefined;
}

/** Whether a value has the item's format (and is one of its codes when it has a list). */
export function hasValidFormat(item: NaaccrItem, value: string): boolean {
  if (item.format === 'date') return isNaaccrDate(value);
  if (!item.format.test(value)) return false;
  return item.codes ? value in item.codes : true;
}

/** Classes of case 00-22 are analytic: diagnosed or first treated here, counted in CoC standards. */
export function isAnalytic(classOfCase: string | undefined): boolean {
  return classOfCase !== undefined && /^(00|1[0-4]|2[0-2])$/.test(classOfCase);
}
