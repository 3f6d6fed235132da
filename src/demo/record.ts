import type {
  Bundle,
  BundleEntry,
  Condition,
  DocumentReference,
  Encounter,
  EncounterDiagnosis,
  MedicationRequest,
  Observation,
  Patient,
  Procedure,
  Reference,
  Resource,
} from '@medplum/fhirtypes';
import { CHRONIC, SCENARIOS } from './clinical.ts';
import type { EncounterClass, LabTag, Scenario } from './clinical.ts';
import { codeSource, HCPCS, ICD10CM, ICD10PCS, RXNORM, SYSTEMS } from './codes.ts';
import type { CodeEntry, CodeSource, DemoCodes } from './codes.ts';
import { clinician, ORGANIZATION_REF } from './facility.ts';
import type { Clinician, Role } from './facility.ts';
import { NOTE_TYPES, noteText } from './notes.ts';
import type { NoteKind } from './notes.ts';
import { labResults, summarise, vitalSigns } from './observations.ts';
import type { ObservationContext } from './observations.ts';
import { patientResource } from './person.ts';
import type { Demographics, Person } from './person.ts';
import { weighted } from './prng.ts';
import type { Rng } from './prng.ts';
import { ageAt, DAY, HOUR, isoInstant, MINUTE, parseDate } from './time.ts';

/** Everything about a run that does not change from patient to patient. */
export interface RecordContext {
  windowStart: number;
  windowEnd: number;
  lite: boolean;
  cm: CodeSource;
  pcs: CodeSource;
  hcpcs: CodeSource;
  codesLoaded: boolean;
}

export function recordContext(options: {
  startDate?: string;
  years?: number;
  lite?: boolean;
  codes?: DemoCodes;
}): RecordContext {
  const windowStart = parseDate(options.startDate ?? '2022-01-01');
  const windowEnd = windowStart + Math.round((options.years ?? 3) * 365.25) * DAY;
  const codes = options.codes ?? {};
  return {
    windowStart,
    windowEnd,
    lite: options.lite ?? false,
    // External-cause codes (V00-Y99) are never a reason for a visit on their own.
    cm: codeSource(codes.icd10cm, ICD10CM, (code) => !/^[VWXY]/i.test(code)),
    pcs: codeSource(codes.icd10pcs, ICD10PCS),
    hcpcs: codeSource(codes.hcpcs, HCPCS),
    codesLoaded: Boolean(codes.icd10cm?.length || codes.icd10pcs?.length || codes.hcpcs?.length),
  };
}

const CHRONIC_CODES = new Set(CHRONIC.map((c) => c.code));
const CHRONIC_BY_CODE = new Map(CHRONIC.map((c) => [c.code, c]));

/** Collects transaction entries; each resource gets a urn:uuid drawn from the given stream. */
class BundleBuilder {
  readonly entries: BundleEntry[] = [];

  add(rng: Rng, resource: Resource): string {
    const fullUrl = `urn:uuid:${rng.uuid()}`;
    this.entries.push({ fullUrl, resource, request: { method: 'POST', url: resource.resourceType } });
    return fullUrl;
  }
}

interface PlannedEncounter {
  cls: EncounterClass;
  scenario: Scenario;
  start: number;
  end: number | undefined;
  principal: string;
}

const CLASS_DISPLAY: Readonly<Record<EncounterClass, string>> = {
  IMP: 'inpatient encounter',
  AMB: 'ambulatory',
  EMER: 'emergency',
};

const DISPOSITIONS = weighted<readonly [string, string]>([
  [['home', 'Home'], 72],
  [['snf', 'Skilled nursing facility'], 8],
  [['rehab', 'Rehabilitation'], 5],
  [['alt-home', 'Alternative home'], 3],
  [['hosp', 'Hospice'], 2],
  [['aadvice', 'Left against advice'], 2],
  [['other-hcf', 'Other healthcare facility'], 2],
]);

/** Plans the visits of one record: classes, scenarios and non-overlapping periods. */
function planEncounters(
  rng: Rng,
  ctx: RecordContext,
  person: Person,
  birthDate: string,
  count: number,
  mayBeOpen: boolean,
): PlannedEncounter[] {
  const earliest = Math.max(ctx.windowStart, parseDate(birthDate) + DAY);
  const span = Math.max(ctx.windowEnd - earliest, DAY);
  const starts: number[] = [];
  for (let i = 0; i < count; i++) starts.push(earliest + Math.floor(rng.next() * (span / DAY)) * DAY);
  starts.sort((a, b) => a - b);
  const planned: PlannedEncounter[] = [];
  let free = earliest;
  for (let i = 0; i < starts.length; i++) {
    let day = Math.max(starts[i] ?? earliest, free);
    const age = ageAt(birthDate, day);
    const cls = rng.pickWeighted(age >= 65 ? CLASSES_OLD : CLASSES);
    const scenario = pickScenario(rng, cls, age, person);
    const principal = scenario.key === 'chronic-follow-up' ? rng.pick(person.chronic) : scenario.dx;
    const open = mayBeOpen && i === starts.length - 1 && cls !== 'AMB' && rng.chance(0.04);
    if (open) day = Math.max(free, ctx.windowEnd - (cls === 'IMP' ? rng.int(0, 3) * DAY : 0) - DAY);
    const start = day + startHour(rng, cls, scenario) + rng.int(0, 59) * MINUTE;
    const end = open ? undefined : start + duration(rng, cls, scenario);
    planned.push({ cls, scenario, start, end, principal });
    free = (end ?? start) + DAY;
  }
  return planned;
}

const CLASSES = weighted<EncounterClass>([
  ['AMB', 55],
  ['EMER', 27],
  ['IMP', 18],
]);
const CLASSES_OLD = weighted<EncounterClass>([
  ['AMB', 50],
  ['EMER', 24],
  ['IMP', 26],
]);

function pickScenario(rng: Rng, cls: EncounterClass, age: number, person: Person): Scenario {
  const eligible = SCENARIOS.filter(
    (s) =>
      s.cls === cls &&
      (s.minAge === undefined || age >= s.minAge) &&
      (s.maxAge === undefined || age <= s.maxAge) &&
      (s.sex === undefined || s.sex === person.sex) &&
      (s.key !== 'chronic-follow-up' || person.chronic.length > 0),
  );
  const options =
    eligible.length > 0
      ? eligible
      : SCENARIOS.filter(
          (s) => s.cls === cls && s.minAge === undefined && s.maxAge === undefined && s.sex === undefined,
        );
  return rng.pickWeighted(weighted(options.map((s) => [s, s.weight] as const)));
}

function startHour(rng: Rng, cls: EncounterClass, scenario: Scenario): number {
  if (cls === 'EMER' || (cls === 'IMP' && !scenario.planned)) return rng.int(0, 23) * HOUR;
  return rng.int(7, 16) * HOUR;
}

function duration(rng: Rng, cls: EncounterClass, scenario: Scenario): number {
  switch (cls) {
    case 'IMP': {
      const [min, max] = scenario.los ?? [2, 5];
      return rng.int(min, max) * DAY + rng.int(-6, 6) * HOUR;
    }
    case 'EMER':
      return rng.int(2, 8) * HOUR + rng.int(0, 59) * MINUTE;
    case 'AMB':
      return rng.int(15, 60) * MINUTE;
    default: {
      const unknown: never = cls;
      throw new Error(`unknown class ${String(unknown)}`);
    }
  }
}

function roleFor(cls: EncounterClass, scenario: Scenario): Role {
  if (scenario.key === 'delivery') return 'obstetrics';
  if (cls === 'EMER') return 'emergency';
  if (cls === 'AMB') return 'family';
  return scenario.key === 'nstemi' || scenario.key === 'chf' ? 'cardiology' : 'hospitalist';
}

function dotted(code: string): string {
  return code.includes('.') || code.length <= 3 ? code : `${code.slice(0, 3)}.${code.slice(3)}`;
}

/** A built-in code, or a loaded billable one when the loaded release lacks it. */
function resolve(
  rng: Rng,
  source: CodeSource,
  builtIn: Readonly<Record<string, string>>,
  code: string,
  loaded: boolean,
): CodeEntry {
  const display = source.display(code);
  if (display !== undefined) return { code, display };
  if (loaded) {
    const other = source.random(rng);
    if (other) return other;
  }
  return { code, display: builtIn[code] ?? code };
}

interface Emitted {
  text: string;
  code: string;
}

export interface RecordInput {
  person: Person;
  demographics: Demographics;
  mrn: string;
  encounters: number;
  mayBeOpen: boolean;
}

/** One Patient record with its visits as a transaction Bundle. */
export function buildRecord(ctx: RecordContext, rng: Rng, extra: Rng, input: RecordInput): Bundle {
  const { person, demographics: d, mrn } = input;
  const b = new BundleBuilder();
  const gp = clinician(rng, 'family');
  const patient = patientResource(d, mrn, ORGANIZATION_REF, gp.ref);
  const patientUrn = b.add(rng, patient);
  const plan = planEncounters(rng, ctx, person, d.birthDate, input.encounters, input.mayBeOpen);
  plan.forEach((p, index) => {
    const last = index === plan.length - 1;
    const died = buildEncounter(ctx, rng, extra, b, {
      patient,
      patientUrn,
      person,
      d,
      mrn,
      p,
      last,
      visit: `${mrn.slice(1)}${String(index + 1).padStart(2, '0')}`,
    });
    if (died && p.end !== undefined) {
      patient.deceasedDateTime = isoInstant(p.end);
    }
  });
  return { resourceType: 'Bundle', type: 'transaction', entry: b.entries };
}

interface EncounterInput {
  patient: Patient;
  patientUrn: string;
  person: Person;
  d: Demographics;
  mrn: string;
  p: PlannedEncounter;
  last: boolean;
  visit: string;
}

/** Builds one visit and everything charted in it; returns true when the patient died in it. */
function buildEncounter(
  ctx: RecordContext,
  rng: Rng,
  extra: Rng,
  b: BundleBuilder,
  e: EncounterInput,
): boolean {
  const { p, person } = e;
  const { cls, scenario } = p;
  const attending = clinician(rng, roleFor(cls, scenario));
  const start = isoInstant(p.start);
  const end = p.end === undefined ? undefined : isoInstant(p.end);
  const age = ageAt(e.d.birthDate, p.start);
  const encounter: Encounter = {
    resourceType: 'Encounter',
    identifier: [{ use: 'official', system: 'http://custodian.example/visit', value: `V${e.visit}` }],
    status: end ? 'finished' : 'in-progress',
    class: { system: SYSTEMS.actCode, code: cls, display: CLASS_DISPLAY[cls] },
    type: [
      {
        coding: [{ system: SYSTEMS.snomed, code: scenario.typeCode, display: scenario.typeDisplay }],
        text: scenario.typeDisplay,
      },
    ],
    subject: { reference: e.patientUrn },
    participant: [
      {
        type: [{ coding: [{ system: SYSTEMS.participationType, code: 'ATND', display: 'attender' }] }],
        individual: { ...attending.ref },
      },
    ],
    period: end ? { start, end } : { start },
    reasonCode: [{ text: scenario.complaint }],
    serviceProvider: { reference: ORGANIZATION_REF },
  };
  if (cls === 'EMER')
    encounter.priority = { coding: [{ system: SYSTEMS.actCode, code: 'EM', display: 'emergency' }] };
  let died = false;
  let disposition: string | undefined;
  if (cls === 'IMP') {
    encounter.hospitalization = {
      admitSource: {
        coding: [
          scenario.planned
            ? { system: SYSTEMS.admitSource, code: 'outp', display: 'From outpatient department' }
            : { system: SYSTEMS.admitSource, code: 'emd', display: 'From accident/emergency department' },
        ],
      },
    };
    if (end) {
      const deathRisk =
        scenario.key === 'sepsis' || scenario.key === 'resp-failure' ? 0.12 : scenario.planned ? 0 : 0.03;
      let [code, display] =
        e.last && rng.chance(deathRisk) ? (['exp', 'Expired'] as const) : rng.pickWeighted(DISPOSITIONS);
      if ((code === 'snf' || code === 'rehab') && age < 50) [code, display] = ['home', 'Home'];
      died = code === 'exp';
      disposition = display;
      encounter.hospitalization.dischargeDisposition = {
        coding: [{ system: SYSTEMS.dischargeDisposition, code, display }],
      };
    }
  }
  const encounterUrn = b.add(rng, encounter);
  const subject = (): Reference<Patient> => ({ reference: e.patientUrn });
  const encounterRef = (): Reference<Encounter> => ({ reference: encounterUrn });

  // Diagnoses: the scenario's principal, its usual companions, then chronic comorbidities.
  const dxCodes: string[] = [p.principal];
  for (const x of scenario.extraDx ?? []) if (rng.chance(0.6)) dxCodes.push(x);
  const maxChronic = cls === 'IMP' ? 4 : scenario.key === 'chronic-follow-up' ? 3 : 1;
  for (const c of person.chronic) {
    if (dxCodes.length > maxChronic + 1) break;
    if (!dxCodes.includes(c) && rng.chance(cls === 'EMER' ? 0.3 : 0.7)) dxCodes.push(c);
  }
  if (person.chronic.includes('E11.9') && dxCodes.includes('E11.9') && rng.chance(0.3)) dxCodes.push('Z79.4');
  const diagnoses: Emitted[] = [];
  const diagnosisEntries: EncounterDiagnosis[] = [];
  const seen = new Set<string>();
  const codes = dxCodes.map((code) => resolve(rng, ctx.cm, ICD10CM, code, ctx.codesLoaded));
  if (ctx.codesLoaded && rng.chance(0.25)) {
    const other = ctx.cm.random(rng);
    if (other) codes.push(other);
  }
  let principalUrn = '';
  codes.forEach((entry, i) => {
    const code = dotted(entry.code);
    if (seen.has(code)) return;
    seen.add(code);
    const chronic = CHRONIC_CODES.has(code);
    const resolved = !chronic && end !== undefined;
    const condition: Condition = {
      resourceType: 'Condition',
      clinicalStatus: {
        coding: [{ system: SYSTEMS.conditionClinical, code: resolved ? 'resolved' : 'active' }],
      },
      verificationStatus: { coding: [{ system: SYSTEMS.conditionVerification, code: 'confirmed' }] },
      category: [
        {
          coding: [
            {
              system: SYSTEMS.conditionCategory,
              code: 'encounter-diagnosis',
              display: 'Encounter Diagnosis',
            },
          ],
        },
      ],
      code: { coding: [{ system: SYSTEMS.icd10cm, code, display: entry.display }], text: entry.display },
      subject: subject(),
      encounter: encounterRef(),
      recordedDate: start,
      recorder: { ...attending.ref },
    };
    if (!chronic) condition.onsetDateTime = start;
    if (resolved) condition.abatementDateTime = end;
    const urn = b.add(rng, condition);
    if (i === 0) principalUrn = urn;
    const use =
      i === 0 ? (cls === 'IMP' ? (end ? 'DD' : 'AD') : 'billing') : cls === 'IMP' ? 'CM' : 'billing';
    diagnosisEntries.push({
      condition: { reference: urn },
      use: { coding: [{ system: SYSTEMS.diagnosisRole, code: use, display: ROLE_DISPLAY[use] }] },
      rank: diagnosisEntries.length + 1,
    });
    diagnoses.push({ text: `${entry.display} (${code})`, code });
  });
  encounter.diagnosis = diagnosisEntries;

  // Procedures: ICD-10-PCS for inpatient stays, HCPCS Level II otherwise.
  const procedures: Emitted[] = [];
  const inpatient = cls === 'IMP';
  const procSource = inpatient ? ctx.pcs : ctx.hcpcs;
  const procBuiltIn = inpatient ? ICD10PCS : HCPCS;
  const procCodes: CodeEntry[] = [];
  if (scenario.procedures && rng.chance(scenario.procedureChance ?? 0.5)) {
    scenario.procedures.forEach((code, i) => {
      if (i === 0 || rng.chance(0.6))
        procCodes.push(resolve(rng, procSource, procBuiltIn, code, ctx.codesLoaded));
    });
  }
  if (ctx.codesLoaded && rng.chance(0.15)) {
    const other = procSource.random(rng);
    if (other) procCodes.push(other);
  }
  const surgeon =
    scenario.procedures && inpatient && scenario.key !== 'delivery' ? clinician(rng, 'surgeon') : attending;
  for (const entry of procCodes) {
    const at = p.start + (inpatient ? rng.int(2, 30) * HOUR : rng.int(10, 90) * MINUTE);
    const performed = p.end === undefined ? at : Math.min(at, p.end - MINUTE);
    const procedure: Procedure = {
      resourceType: 'Procedure',
      status: 'completed',
      code: {
        coding: [
          { system: inpatient ? SYSTEMS.icd10pcs : SYSTEMS.hcpcs, code: entry.code, display: entry.display },
        ],
        text: entry.display,
      },
      subject: subject(),
      encounter: encounterRef(),
      performedDateTime: isoInstant(Math.max(performed, p.start)),
      performer: [{ actor: { ...surgeon.ref } }],
      reasonReference: [{ reference: principalUrn }],
    };
    b.add(rng, procedure);
    procedures.push({ text: `${entry.display} (${entry.code})`, code: entry.code });
  }

  // Medications: what the scenario calls for, and home medications of chronic conditions.
  const meds: Array<{ code: string; category: 'inpatient' | 'outpatient' | 'community' }> = [];
  for (const code of scenario.meds)
    if (rng.chance(0.85)) meds.push({ code, category: inpatient ? 'inpatient' : 'outpatient' });
  if (cls !== 'EMER') {
    for (const c of person.chronic) {
      const chronic = CHRONIC_BY_CODE.get(c);
      if (chronic && chronic.meds.length > 0 && rng.chance(0.8))
        meds.push({ code: rng.pick(chronic.meds), category: 'community' });
    }
  }
  const medicationTexts: string[] = [];
  const medsSeen = new Set<string>();
  for (const med of meds) {
    if (medsSeen.has(med.code)) continue;
    medsSeen.add(med.code);
    const display = RXNORM[med.code] ?? med.code;
    const request: MedicationRequest = {
      resourceType: 'MedicationRequest',
      status: med.category === 'inpatient' && end ? 'completed' : 'active',
      intent: 'order',
      category: [
        {
          coding: [
            {
              system: SYSTEMS.medicationRequestCategory,
              code: med.category,
              display: MED_CATEGORY_DISPLAY[med.category],
            },
          ],
        },
      ],
      medicationCodeableConcept: {
        coding: [{ system: SYSTEMS.rxnorm, code: med.code, display }],
        text: display,
      },
      subject: subject(),
      encounter: encounterRef(),
      authoredOn: start,
      requester: { ...attending.ref },
      dosageInstruction: [{ text: dosageText(display) }],
    };
    if (med.category !== 'community') request.reasonReference = [{ reference: principalUrn }];
    b.add(rng, request);
    medicationTexts.push(`${display}: ${dosageText(display)}`);
  }

  if (!ctx.lite) {
    chartExtras(extra, b, e, attending, {
      start,
      end,
      age,
      encounterUrn,
      diagnoses,
      procedures,
      medicationTexts,
      disposition,
    });
  }
  return died;
}

const ROLE_DISPLAY: Readonly<Record<string, string>> = {
  DD: 'Discharge diagnosis',
  AD: 'Admission diagnosis',
  CM: 'Comorbidity diagnosis',
  billing: 'Billing',
};

const MED_CATEGORY_DISPLAY = {
  inpatient: 'Inpatient',
  outpatient: 'Outpatient',
  community: 'Community',
} as const;

function dosageText(display: string): string {
  if (display.includes('Inhaler')) return '2 puffs inhaled every 4 to 6 hours as needed';
  if (display.includes('Syringe')) return 'Inject subcutaneously once daily';
  if (display.includes('Injection')) return 'Give intravenously as directed';
  if (display.includes('Suspension')) return 'Inject subcutaneously twice daily before meals';
  return 'Take 1 by mouth daily';
}

interface ChartFacts {
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
function chartExtras(
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
