import type { Observation } from '@medplum/fhirtypes';
import type { EncounterClass, LabTag } from './clinical.ts';
import { SYSTEMS } from './codes.ts';
import type { Rng } from './prng.ts';

/** Vital signs and common labs, by LOINC code, with UCUM units and adult reference ranges. */
interface Measure {
  code: string;
  display: string;
  unit: string;
  decimals: number;
  low?: number;
  high?: number;
}

const VITALS = {
  hr: { code: '8867-4', display: 'Heart rate', unit: '/min', decimals: 0, low: 60, high: 100 },
  rr: { code: '9279-1', display: 'Respiratory rate', unit: '/min', decimals: 0, low: 12, high: 20 },
  temp: { code: '8310-5', display: 'Body temperature', unit: 'Cel', decimals: 1, low: 36.1, high: 37.8 },
  spo2: {
    code: '59408-5',
    display: 'Oxygen saturation in Arterial blood by Pulse oximetry',
    unit: '%',
    decimals: 0,
    low: 95,
    high: 100,
  },
  weight: { code: '29463-7', display: 'Body weight', unit: 'kg', decimals: 1 },
  height: { code: '8302-2', display: 'Body height', unit: 'cm', decimals: 1 },
  bmi: { code: '39156-5', display: 'Body mass index (BMI) [Ratio]', unit: 'kg/m2', decimals: 1 },
} as const satisfies Record<string, Measure>;

const SYSTOLIC = {
  code: '8480-6',
  display: 'Systolic blood pressure',
  unit: 'mm[Hg]',
  decimals: 0,
  low: 90,
  high: 130,
};
const DIASTOLIC = {
  code: '8462-4',
  display: 'Diastolic blood pressure',
  unit: 'mm[Hg]',
  decimals: 0,
  low: 60,
  high: 80,
};

interface Lab extends Measure {
  mean: number;
  sd: number;
  min: number;
  /** Mean and sd when the encounter's scenario or a chronic condition shifts the value. */
  shifts?: Partial<Record<LabTag | 'diabetes' | 'ckd', readonly [number, number]>>;
}

const LABS: Readonly<Record<string, Lab>> = {
  glucose: {
    code: '2345-7',
    display: 'Glucose [Mass/volume] in Serum or Plasma',
    unit: 'mg/dL',
    decimals: 0,
    low: 70,
    high: 99,
    mean: 92,
    sd: 10,
    min: 40,
    shifts: { diabetes: [175, 45], sepsis: [150, 30] },
  },
  creatinine: {
    code: '2160-0',
    display: 'Creatinine [Mass/volume] in Serum or Plasma',
    unit: 'mg/dL',
    decimals: 2,
    low: 0.6,
    high: 1.3,
    mean: 0.95,
    sd: 0.15,
    min: 0.3,
    shifts: { aki: [2.6, 0.8], ckd: [1.8, 0.4], dehydration: [1.4, 0.2] },
  },
  sodium: {
    code: '2951-2',
    display: 'Sodium [Moles/volume] in Serum or Plasma',
    unit: 'mmol/L',
    decimals: 0,
    low: 135,
    high: 145,
    mean: 140,
    sd: 2,
    min: 115,
    shifts: { dehydration: [147, 3], hf: [133, 3] },
  },
  potassium: {
    code: '2823-3',
    display: 'Potassium [Moles/volume] in Serum or Plasma',
    unit: 'mmol/L',
    decimals: 1,
    low: 3.5,
    high: 5.1,
    mean: 4.2,
    sd: 0.3,
    min: 2.5,
    shifts: { aki: [5.4, 0.4] },
  },
  hemoglobin: {
    code: '718-7',
    display: 'Hemoglobin [Mass/volume] in Blood',
    unit: 'g/dL',
    decimals: 1,
    low: 12,
    high: 17.5,
    mean: 14,
    sd: 1.2,
    min: 5,
    shifts: { bleed: [7.8, 1] },
  },
  wbc: {
    code: '6690-2',
    display: 'Leukocytes [#/volume] in Blood by Automated count',
    unit: '10*3/uL',
    decimals: 1,
    low: 4.5,
    high: 11,
    mean: 7.2,
    sd: 1.5,
    min: 1,
    shifts: { infection: [13.5, 2.5], sepsis: [18, 4] },
  },
  platelets: {
    code: '777-3',
    display: 'Platelets [#/volume] in Blood by Automated count',
    unit: '10*3/uL',
    decimals: 0,
    low: 150,
    high: 400,
    mean: 250,
    sd: 50,
    min: 20,
    shifts: { sepsis: [120, 30] },
  },
  a1c: {
    code: '4548-4',
    display: 'Hemoglobin A1c/Hemoglobin.total in Blood',
    unit: '%',
    decimals: 1,
    high: 5.6,
    mean: 5.2,
    sd: 0.3,
    min: 4,
    shifts: { diabetes: [7.8, 1.2] },
  },
  bnp: {
    code: '33762-6',
    display: 'Natriuretic peptide.B prohormone N-Terminal [Mass/volume] in Serum or Plasma',
    unit: 'pg/mL',
    decimals: 0,
    high: 125,
    mean: 80,
    sd: 30,
    min: 5,
    shifts: { hf: [4200, 1500] },
  },
  troponin: {
    code: '10839-9',
    display: 'Troponin I.cardiac [Mass/volume] in Serum or Plasma',
    unit: 'ng/mL',
    decimals: 3,
    high: 0.04,
    mean: 0.01,
    sd: 0.005,
    min: 0,
    shifts: { acs: [1.8, 0.9] },
  },
};

export interface ObservationContext {
  subjectUrn: string;
  encounterUrn: string;
  cls: EncounterClass;
  age: number;
  heightCm: number;
  weightKg: number;
  tags: ReadonlyArray<LabTag | 'diabetes' | 'ckd'>;
  hypertensive: boolean;
}

/** Values a note quotes (admission vitals and key labs). */
export interface ObservationSummary {
  vitals: string;
  labs: string[];
}

const VITAL_CATEGORY = [
  { coding: [{ system: SYSTEMS.observationCategory, code: 'vital-signs', display: 'Vital Signs' }] },
];
const LAB_CATEGORY = [
  { coding: [{ system: SYSTEMS.observationCategory, code: 'laboratory', display: 'Laboratory' }] },
];
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function quantity(m: Measure, value: number): NonNullable<Observation['valueQuantity']> {
  return { value: round(value, m.decimals), unit: m.unit, system: SYSTEMS.ucum, code: m.unit };
}

function base(ctx: ObservationContext, m: Measure, at: string, lab: boolean): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: lab ? LAB_CATEGORY : VITAL_CATEGORY,
    code: { coding: [{ system: SYSTEMS.loinc, code: m.code, display: m.display }], text: m.display },
    subject: { reference: ctx.subjectUrn },
    encounter: { reference: ctx.encounterUrn },
    effectiveDateTime: at,
  };
}

function measured(ctx: ObservationContext, m: Measure, value: number, at: string, lab: boolean): Observation {
  const obs = base(ctx, m, at, lab);
  obs.valueQuantity = quantity(m, value);
  if (lab) {
    const v = obs.valueQuantity.value ?? value;
    const range: NonNullable<Observation['referenceRange']>[number] = {};
    if (m.low !== undefined) range.low = quantity(m, m.low);
    if (m.high !== undefined) range.high = quantity(m, m.high);
    obs.referenceRange = [range];
    const flag = m.high !== undefined && v > m.high ? 'H' : m.low !== undefined && v < m.low ? 'L' : 'N';
    const display = flag === 'H' ? 'High' : flag === 'L' ? 'Low' : 'Normal';
    obs.interpretation = [{ coding: [{ system: INTERPRETATION, code: flag, display }] }];
  }
  return obs;
}

/** One set of vital signs at `at`; fever and tachycardia when the scenario is an infection. */
export function vitalSigns(
  rng: Rng,
  ctx: ObservationContext,
  at: string,
  includeSize: boolean,
): Observation[] {
  const sick = ctx.tags.includes('sepsis') ? 2 : ctx.tags.includes('infection') ? 1 : 0;
  const child = ctx.age < 12;
  const hr = rng.normal(child ? 100 : 76 + sick * 14, 8, 40, 180);
  const rr = rng.normal(child ? 22 : 16 + sick * 3, 2, 8, 40);
  const temp = rng.normal(36.8 + sick * 0.9, 0.25, 35, 41);
  const spo2 = rng.normal(ctx.cls === 'IMP' ? 95 - sick : 97.5, 1.2, 82, 100);
  const sys = rng.normal(ctx.hypertensive ? 142 : 118, 10, 80, 210) - sick * 12;
  const dia = rng.normal(ctx.hypertensive ? 88 : 76, 7, 40, 120) - sick * 6;
  const out = [
    measured(ctx, VITALS.hr, hr, at, false),
    measured(ctx, VITALS.rr, rr, at, false),
    measured(ctx, VITALS.temp, temp, at, false),
    measured(ctx, VITALS.spo2, Math.min(100, spo2), at, false),
  ];
  const bp = base(
    ctx,
    { code: '85354-9', display: 'Blood pressure panel with all children optional', unit: '', decimals: 0 },
    at,
    false,
  );
  bp.component = [
    {
      code: { coding: [{ system: SYSTEMS.loinc, code: SYSTOLIC.code, display: SYSTOLIC.display }] },
      valueQuantity: quantity(SYSTOLIC, sys),
    },
    {
      code: { coding: [{ system: SYSTEMS.loinc, code: DIASTOLIC.code, display: DIASTOLIC.display }] },
      valueQuantity: quantity(DIASTOLIC, dia),
    },
  ];
  out.push(bp);
  if (includeSize) {
    const weight = ctx.weightKg + rng.normal(0, 1);
    out.push(measured(ctx, VITALS.weight, weight, at, false));
    out.push(measured(ctx, VITALS.height, ctx.heightCm, at, false));
    out.push(measured(ctx, VITALS.bmi, weight / (ctx.heightCm / 100) ** 2, at, false));
  }
  return out;
}

/** The labs drawn at an encounter: a basic panel and CBC for sick visits, targeted tests on top. */
export function labResults(rng: Rng, ctx: ObservationContext, at: string): Observation[] {
  const names: string[] = [];
  const sickVisit = ctx.cls === 'IMP' || (ctx.cls === 'EMER' && ctx.tags.length > 0);
  if (sickVisit) names.push('glucose', 'creatinine', 'sodium', 'potassium', 'hemoglobin', 'wbc', 'platelets');
  if (ctx.tags.includes('hf')) names.push('bnp');
  if (ctx.tags.includes('acs') || ctx.tags.includes('chestpain')) names.push('troponin');
  if (ctx.tags.includes('diabetes') && (ctx.cls === 'AMB' || rng.chance(0.3))) names.push('a1c');
  if (ctx.cls === 'AMB' && ctx.tags.includes('diabetes')) names.push('glucose', 'creatinine');
  const out: Observation[] = [];
  for (const name of new Set(names)) {
    const lab = LABS[name];
    if (!lab) continue;
    let mean = lab.mean;
    let sd = lab.sd;
    for (const tag of ctx.tags) {
      const shift = lab.shifts?.[tag];
      if (shift) [mean, sd] = shift;
    }
    out.push(measured(ctx, lab, rng.normal(mean, sd, lab.min), at, true));
  }
  return out;
}

/** A line of text for notes: "BP 128/79, HR 81, RR 16, T 36.9 C, SpO2 97%". */
export function summarise(observations: readonly Observation[]): ObservationSummary {
  const value = (code: string): string => {
    const o = observations.find((x) => x.code?.coding?.[0]?.code === code);
    return o?.valueQuantity?.value !== undefined ? String(o.valueQuantity.value) : '?';
  };
  const bp = observations.find((x) => x.code?.coding?.[0]?.code === '85354-9');
  const sys = bp?.component?.[0]?.valueQuantity?.value ?? '?';
  const dia = bp?.component?.[1]?.valueQuantity?.value ?? '?';
  const vitals = `BP ${sys}/${dia}, HR ${value('8867-4')}, RR ${value('9279-1')}, T ${value('8310-5')} C, SpO2 ${value('59408-5')}%`;
  const labs = observations
    .filter((o) => o.category === LAB_CATEGORY)
    .map(
      (o) =>
        `${o.code?.text ?? ''}: ${o.valueQuantity?.value ?? ''} ${o.valueQuantity?.unit ?? ''}${o.interpretation?.[0]?.coding?.[0]?.code === 'N' ? '' : ` (${o.interpretation?.[0]?.coding?.[0]?.display ?? ''})`}`,
    );
  return { vitals, labs };
}
