import type {
  Condition,
  Encounter,
  EncounterDiagnosis,
  MedicationRequest,
  Patient,
  Procedure,
  Reference,
} from '@medplum/fhirtypes';
import type { BundleBuilder } from './bundle-builder.ts';
import { chartExtras } from './chart.ts';
import { CHRONIC } from './clinical.ts';
import type { EncounterClass, Scenario } from './clinical.ts';
import { HCPCS, ICD10CM, ICD10PCS, RXNORM, SYSTEMS } from './codes.ts';
import type { CodeEntry, CodeSource } from './codes.ts';
import { clinician, ORGANIZATION_REF } from './facility.ts';
import type { Clinician, Role } from './facility.ts';
import type { Emitted, EncounterInput } from './encounter-input.ts';
import { weighted } from './prng.ts';
import type { Rng } from './prng.ts';
import type { RecordContext } from './record-context.ts';
import { ageAt, HOUR, isoInstant, MINUTE } from './time.ts';

/** One visit and everything charted in it: diagnoses, procedures, medications, then extras. */

const CHRONIC_CODES = new Set(CHRONIC.map((c) => c.code));
const CHRONIC_BY_CODE = new Map(CHRONIC.map((c) => [c.code, c]));

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

/** What the parts of one visit share. */
interface Visit {
  ctx: RecordContext;
  rng: Rng;
  b: BundleBuilder;
  e: EncounterInput;
  attending: Clinician;
  start: string;
  end: string | undefined;
  age: number;
  encounterUrn: string;
}

/** Builds one visit and everything charted in it; returns true when the patient died in it. */
export function buildEncounter(
  ctx: RecordContext,
  rng: Rng,
  extra: Rng,
  b: BundleBuilder,
  e: EncounterInput,
): boolean {
  const { p } = e;
  const attending = clinician(rng, roleFor(p.cls, p.scenario));
  const start = isoInstant(p.start);
  const end = p.end === undefined ? undefined : isoInstant(p.end);
  const age = ageAt(e.d.birthDate, p.start);
  const { encounter, disposition } = encounterResource(rng, e, attending, start, end, age);
  const encounterUrn = b.add(rng, encounter);
  const visit: Visit = { ctx, rng, b, e, attending, start, end, age, encounterUrn };
  const { diagnoses, principalUrn, entries } = addDiagnoses(visit);
  encounter.diagnosis = entries;
  const procedures = addProcedures(visit, principalUrn);
  const medicationTexts = addMedications(visit, principalUrn);
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
  return disposition === 'Expired';
}

function encounterResource(
  rng: Rng,
  e: EncounterInput,
  attending: Clinician,
  start: string,
  end: string | undefined,
  age: number,
): { encounter: Encounter; disposition: string | undefined } {
  const { cls, scenario } = e.p;
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
  if (cls !== 'IMP') return { encounter, disposition: undefined };
  encounter.hospitalization = {
    admitSource: {
      coding: [
        scenario.planned
          ? { system: SYSTEMS.admitSource, code: 'outp', display: 'From outpatient department' }
          : { system: SYSTEMS.admitSource, code: 'emd', display: 'From accident/emergency department' },
      ],
    },
  };
  if (!end) return { encounter, disposition: undefined };
  // Only the last visit can end in death; planned surgery and deliveries never do here.
  const deathRisk =
    scenario.key === 'sepsis' || scenario.key === 'resp-failure' ? 0.12 : scenario.planned ? 0 : 0.03;
  let [code, display] =
    e.last && rng.chance(deathRisk) ? (['exp', 'Expired'] as const) : rng.pickWeighted(DISPOSITIONS);
  if ((code === 'snf' || code === 'rehab') && age < 50) [code, display] = ['home', 'Home'];
  encounter.hospitalization.dischargeDisposition = {
    coding: [{ system: SYSTEMS.dischargeDisposition, code, display }],
  };
  return { encounter, disposition: display };
}

function subjectOf(v: Visit): Reference<Patient> {
  return { reference: v.e.patientUrn };
}

function encounterOf(v: Visit): Reference<Encounter> {
  return { reference: v.encounterUrn };
}

/** The scenario's principal diagnosis, its usual companions, then chronic comorbidities. */
function addDiagnoses(v: Visit): {
  diagnoses: Emitted[];
  principalUrn: string;
  entries: EncounterDiagnosis[];
} {
  const { ctx, rng, e, end } = v;
  const { p, person } = e;
  const { cls, scenario } = p;
  const dxCodes: string[] = [p.principal];
  for (const x of scenario.extraDx ?? []) if (rng.chance(0.6)) dxCodes.push(x);
  const maxChronic = cls === 'IMP' ? 4 : scenario.key === 'chronic-follow-up' ? 3 : 1;
  for (const c of person.chronic) {
    if (dxCodes.length > maxChronic + 1) break;
    if (!dxCodes.includes(c) && rng.chance(cls === 'EMER' ? 0.3 : 0.7)) dxCodes.push(c);
  }
  if (person.chronic.includes('E11.9') && dxCodes.includes('E11.9') && rng.chance(0.3)) dxCodes.push('Z79.4');
  const codes = dxCodes.map((code) => resolve(rng, ctx.cm, ICD10CM, code, ctx.codesLoaded));
  if (ctx.codesLoaded && rng.chance(0.25)) {
    const other = ctx.cm.random(rng);
    if (other) codes.push(other);
  }
  const diagnoses: Emitted[] = [];
  const entries: EncounterDiagnosis[] = [];
  const seen = new Set<string>();
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
      subject: subjectOf(v),
      encounter: encounterOf(v),
      recordedDate: v.start,
      recorder: { ...v.attending.ref },
    };
    if (!chronic) condition.onsetDateTime = v.start;
    if (resolved) condition.abatementDateTime = end;
    const urn = v.b.add(rng, condition);
    if (i === 0) principalUrn = urn;
    const use =
      i === 0 ? (cls === 'IMP' ? (end ? 'DD' : 'AD') : 'billing') : cls === 'IMP' ? 'CM' : 'billing';
    entries.push({
      condition: { reference: urn },
      use: { coding: [{ system: SYSTEMS.diagnosisRole, code: use, display: ROLE_DISPLAY[use] }] },
      rank: entries.length + 1,
    });
    diagnoses.push({ text: `${entry.display} (${code})`, code });
  });
  return { diagnoses, principalUrn, entries };
}

/** ICD-10-PCS for inpatient stays, HCPCS Level II otherwise. */
function addProcedures(v: Visit, principalUrn: string): Emitted[] {
  const { ctx, rng, e } = v;
  const { p } = e;
  const { scenario } = p;
  const inpatient = p.cls === 'IMP';
  const source = inpatient ? ctx.pcs : ctx.hcpcs;
  const builtIn = inpatient ? ICD10PCS : HCPCS;
  const codes: CodeEntry[] = [];
  if (scenario.procedures && rng.chance(scenario.procedureChance ?? 0.5)) {
    scenario.procedures.forEach((code, i) => {
      if (i === 0 || rng.chance(0.6)) codes.push(resolve(rng, source, builtIn, code, ctx.codesLoaded));
    });
  }
  if (ctx.codesLoaded && rng.chance(0.15)) {
    const other = source.random(rng);
    if (other) codes.push(other);
  }
  const surgeon =
    scenario.procedures && inpatient && scenario.key !== 'delivery' ? clinician(rng, 'surgeon') : v.attending;
  const emitted: Emitted[] = [];
  for (const entry of codes) {
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
      subject: subjectOf(v),
      encounter: encounterOf(v),
      performedDateTime: isoInstant(Math.max(performed, p.start)),
      performer: [{ actor: { ...surgeon.ref } }],
      reasonReference: [{ reference: principalUrn }],
    };
    v.b.add(rng, procedure);
    emitted.push({ text: `${entry.display} (${entry.code})`, code: entry.code });
  }
  return emitted;
}

/** What the scenario calls for, and home medications of chronic conditions; returns note lines. */
function addMedications(v: Visit, principalUrn: string): string[] {
  const { rng, e, end } = v;
  const { p, person } = e;
  const inpatient = p.cls === 'IMP';
  const meds: Array<{ code: string; category: 'inpatient' | 'outpatient' | 'community' }> = [];
  for (const code of p.scenario.meds)
    if (rng.chance(0.85)) meds.push({ code, category: inpatient ? 'inpatient' : 'outpatient' });
  if (p.cls !== 'EMER') {
    for (const c of person.chronic) {
      const chronic = CHRONIC_BY_CODE.get(c);
      if (chronic && chronic.meds.length > 0 && rng.chance(0.8))
        meds.push({ code: rng.pick(chronic.meds), category: 'community' });
    }
  }
  const texts: string[] = [];
  const seen = new Set<string>();
  for (const med of meds) {
    if (seen.has(med.code)) continue;
    seen.add(med.code);
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
      subject: subjectOf(v),
      encounter: encounterOf(v),
      authoredOn: v.start,
      requester: { ...v.attending.ref },
      dosageInstruction: [{ text: dosageText(display) }],
    };
    if (med.category !== 'community') request.reasonReference = [{ reference: principalUrn }];
    v.b.add(rng, request);
    texts.push(`${display}: ${dosageText(display)}`);
  }
  return texts;
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
