import { behavioursFor } from './casefinding-list.ts';
import { hasValidFormat, isAnalytic, ITEMS, itemById, type ItemValues } from './naaccr-items.ts';

/**
 * The registry's edits (in the manner of the NAACCR / CoC edit sets): required items by class of
 * case, valid codes, and cross-item logic. Each failing edit has an id, a level, a message and the
 * items it concerns, so the form shows it beside each of those fields. Pure functions.
 */

export interface EditFailure {
  id: string;
  level: 'error' | 'warning';
  message: string;
  /** naaccrIds of the fields the edit concerns. */
  items: string[];
}

export interface EditInput {
  /** Patient-level and tumour-level items of the abstract being edited, by naaccrId. */
  values: ItemValues;
  /** The ICD-10-CM code the case was found by (behaviour must agree with it). */
  sourceCode?: string | undefined;
  /** The patient's other tumours (sequence numbers and behaviours). */
  otherTumours: ItemValues[];
  /** ICD-O-3 codes once a site has loaded WHO's tables; undefined: format checks only. */
  icdo3?: { sites: ReadonlySet<string>; histologies: ReadonlySet<string> } | undefined;
}

/** Required for every case, whatever its class. */
const ALWAYS_REQUIRED = [
  'dateOfBirth',
  'sex',
  'classOfCase',
  'dateOfDiagnosis',
  'primarySite',
  'histologicTypeIcdO3',
  'behaviorCodeIcdO3',
];

/** Required besides for analytic cases (classes 00-22): the CoC's complete abstract. */
const ANALYTIC_REQUIRED = [
  'sequenceNumberCentral',
  'laterality',
  'gradeClinical',
  'diagnosticConfirmation',
  'summaryStage2018',
  'rxSummSurgPrimSite',
  'rxSummChemo',
  'dateOfLastContact',
  'vitalStatus',
  'cancerStatus',
];

/**
 * ICD-O-3 topography codes of paired organs (SEER's list of paired sites): laterality must be
 * coded 1-5 or 9 for these and 0 for every other site.
 */
const PAIRED_SITES = new Set([
  'C079',
  'C080',
  'C081',
  'C090',
  'C091',
  'C098',
  'C099',
  'C300',
  'C301',
  'C310',
  'C312',
  'C340',
  'C341',
  'C342',
  'C343',
  'C348',
  'C349',
  'C384',
  'C400',
  'C401',
  'C402',
  'C403',
  'C413',
  'C414',
  'C441',
  'C442',
  'C445',
  'C446',
  'C447',
  'C471',
  'C472',
  'C491',
  'C492',
  'C500',
  'C501',
  'C502',
  'C503',
  'C504',
  'C505',
  'C506',
  'C508',
  'C509',
  'C569',
  'C570',
  'C620',
  'C621',
  'C629',
  'C630',
  'C631',
  'C649',
  'C659',
  'C669',
  'C690',
  'C691',
  'C692',
  'C693',
  'C694',
  'C695',
  'C696',
  'C698',
  'C699',
  'C700',
  'C710',
  'C711',
  'C712',
  'C713',
  'C714',
  'C722',
  'C723',
  'C724',
  'C725',
  'C740',
  'C741',
  'C749',
  'C754',
]);

const TREATMENT_DATES = ['rxDateSurgery', 'rxDateRadiation', 'rxDateSystemic'];

function label(naaccrId: string): string {
  const item = itemById(naaccrId);
  return item ? `${item.label} (${item.number})` : naaccrId;
}

function requiredEdits(values: ItemValues): EditFailure[] {
  const analytic = isAnalytic(values.classOfCase);
  const required = analytic ? [...ALWAYS_REQUIRED, ...ANALYTIC_REQUIRED] : ALWAYS_REQUIRED;
  const why = values.classOfCase ? `class of case ${values.classOfCase}` : 'every case';
  return required
    .filter((id) => !values[id])
    .map((id) => ({
      id: `REQ-${id}`,
      level: 'error' as const,
      message: `${label(id)} is required for ${why}`,
      items: [id],
    }));
}

function validCodeEdits(values: ItemValues): EditFailure[] {
  const out: EditFailure[] = [];
  for (const item of ITEMS) {
    const value = values[item.naaccrId];
    if (!value || hasValidFormat(item, value)) continue;
    const expected =
      item.format === 'date'
        ? 'a date as YYYYMMDD (or YYYYMM, YYYY when the day or month is unknown)'
        : item.codes
          ? `one of ${Object.keys(item.codes).join(', ')}`
          : `of the form ${item.format.source}`;
    out.push({
      id: `VAL-${item.naaccrId}`,
      level: 'error',
      message: `${label(item.naaccrId)} '${value}' is not valid: expected ${expected}`,
      items: [item.naaccrId],
    });
  }
  return out;
}

function icdo3Edits(values: ItemValues, icdo3: EditInput['icdo3']): EditFailure[] {
  if (!icdo3) return [];
  const out: EditFailure[] = [];
  const site = values.primarySite;
  if (site && /^C\d{3}$/.test(site) && !icdo3.sites.has(site))
    out.push({
      id: 'ICDO3-site',
      level: 'error',
      message: `Primary Site ${site} is not an ICD-O-3 topography code`,
      items: ['primarySite'],
    });
  const histology = values.histologicTypeIcdO3;
  if (histology && /^\d{4}$/.test(histology) && !icdo3.histologies.has(histology))
    out.push({
      id: 'ICDO3-histology',
      level: 'error',
      message: `Histologic Type ${histology} is not an ICD-O-3 morphology code`,
      items: ['histologicTypeIcdO3'],
    });
  return out;
}

/** Compares NAACCR dates at the precision both have (2024 vs 20240315 compares the year). */
function dateBefore(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(0, n) < b.slice(0, n);
}

function dateEdits(values: ItemValues): EditFailure[] {
  const out: EditFailure[] = [];
  const dx = values.dateOfDiagnosis;
  const birth = values.dateOfBirth;
  const ok = (v: string | undefined): v is string => !!v && hasValidFormat(itemById('dateOfDiagnosis')!, v);
  if (ok(dx) && ok(birth) && dateBefore(dx, birth))
    out.push({
      id: 'XDATE-dx-birth',
      level: 'error',
      message: 'Date of Diagnosis is before Date of Birth',
      items: ['dateOfDiagnosis', 'dateOfBirth'],
    });
  if (!ok(dx)) return out;
  for (const id of TREATMENT_DATES) {
    const rx = values[id];
    if (ok(rx) && dateBefore(rx, dx))
      out.push({
        id: `XDATE-${id}`,
        level: 'error',
        message: `${label(id)} ${rx} is before the Date of Diagnosis ${dx}: treatment cannot precede diagnosis`,
        items: [id, 'dateOfDiagnosis'],
      });
  }
  const contact = values.dateOfLastContact;
  if (ok(contact) && dateBefore(contact, dx))
    out.push({
      id: 'XDATE-last-contact',
      level: 'error',
      message: `Date of Last Contact ${contact} is before the Date of Diagnosis ${dx}`,
      items: ['dateOfLastContact', 'dateOfDiagnosis'],
    });
  return out;
}

function lateralityEdits(values: ItemValues): EditFailure[] {
  const site = values.primarySite;
  const laterality = values.laterality;
  if (!site || !laterality) return [];
  const paired = PAIRED_SITES.has(site);
  if (paired && laterality === '0')
    return [
      {
        id: 'XLAT-paired',
        level: 'error',
        message: `Primary Site ${site} is a paired organ: Laterality must be 1-5 or 9, not 0`,
        items: ['laterality', 'primarySite'],
      },
    ];
  if (!paired && laterality !== '0')
    return [
      {
        id: 'XLAT-unpaired',
        level: 'error',
        message: `Primary Site ${site} is not a paired organ: Laterality must be 0`,
        items: ['laterality', 'primarySite'],
      },
    ];
  return [];
}

function behaviourEdits(values: ItemValues, sourceCode: string | undefined): EditFailure[] {
  const behaviour = values.behaviorCodeIcdO3;
  const expected = sourceCode ? behavioursFor(sourceCode) : undefined;
  if (!behaviour || !expected || expected.includes(behaviour)) return [];
  return [
    {
      id: 'XBEH-icd10cm',
      level: 'error',
      message: `Behavior Code ${behaviour} disagrees with ICD-10-CM ${sourceCode ?? ''} the case was found by (expected ${expected.join(' or ')})`,
      items: ['behaviorCodeIcdO3'],
    },
  ];
}

/**
 * Sequence numbers across a patient's tumours: in situ and malignant tumours number 00 (only
 * one) or 01, 02, ...; benign and borderline ones 60 (only one) or 61, 62, ...; never twice the
 * same, and 00 / 60 only when the patient has no other tumour of that kind.
 */
function sequenceEdits(values: ItemValues, others: ItemValues[]): EditFailure[] {
  const seq = values.sequenceNumberCentral;
  const behaviour = values.behaviorCodeIcdO3;
  if (!seq || !/^\d{2}$/.test(seq) || !behaviour) return [];
  const malignant = behaviour === '2' || behaviour === '3';
  const fail = (id: string, message: string): EditFailure[] => [
    { id, level: 'error', message, items: ['sequenceNumberCentral'] },
  ];
  const n = Number(seq);
  if (malignant && n > 59 && n < 98)
    return fail(
      'XSEQ-range',
      `Sequence Number ${seq} is for benign or borderline tumours; in situ and malignant ones use 00-59, 99`,
    );
  if (!malignant && n < 60)
    return fail(
      'XSEQ-range',
      `Sequence Number ${seq} is for in situ and malignant tumours; benign and borderline ones use 60-88, 98`,
    );
  const sameKind = others.filter((o) => {
    const b = o.behaviorCodeIcdO3;
    return b !== undefined && (b === '2' || b === '3') === malignant;
  });
  if (sameKind.some((o) => o.sequenceNumberCentral === seq))
    return fail('XSEQ-duplicate', `Another tumour of this patient already has Sequence Number ${seq}`);
  const only = malignant ? '00' : '60';
  if (seq === only && sameKind.length > 0)
    return fail(
      'XSEQ-only',
      `Sequence Number ${only} means the only tumour of its kind, but the patient has ${sameKind.length + 1}: number them in order`,
    );
  return [];
}

/** Every edit over an abstract; an abstract may be completed only when none at level error fails. */
export function runEdits(input: EditInput): EditFailure[] {
  const v = input.values;
  return [
    ...requiredEdits(v),
    ...validCodeEdits(v),
    ...icdo3Edits(v, input.icdo3),
    ...dateEdits(v),
    ...lateralityEdits(v),
    ...behaviourEdits(v, input.sourceCode),
    ...sequenceEdits(v, input.otherTumours),
  ];
}
