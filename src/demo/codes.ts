/**
 * Built-in code lists: small, real, common. ICD-10-CM, ICD-10-PCS and HCPCS Level II are public
 * domain (CMS / NCHS); RxNorm and LOINC codes appear only as identifiers in generated data (no
 * terminology table is shipped). Displays are our short wording of each code's meaning.
 */

export interface CodeEntry {
  code: string;
  display: string;
}

/** Billable codes loaded from a code set release, passed by the caller (e.g. from src/coding). */
export interface DemoCodes {
  icd10cm?: readonly CodeEntry[];
  hcpcs?: readonly CodeEntry[];
  icd10pcs?: readonly CodeEntry[];
}

export const SYSTEMS = {
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  icd10pcs: 'http://www.cms.gov/Medicare/Coding/ICD10',
  hcpcs: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  ucum: 'http://unitsofmeasure.org',
  mrn: 'http://custodian.example/mrn',
  ssn: 'http://hl7.org/fhir/sid/us-ssn',
  npi: 'http://hl7.org/fhir/sid/us-npi',
  v2IdentifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  diagnosisRole: 'http://terminology.hl7.org/CodeSystem/diagnosis-role',
  dischargeDisposition: 'http://terminology.hl7.org/CodeSystem/discharge-disposition',
  admitSource: 'http://terminology.hl7.org/CodeSystem/admit-source',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVerification: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  documentCategory: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category',
  medicationRequestCategory: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category',
} as const;

export const ICD10CM: Readonly<Record<string, string>> = {
  'E11.9': 'Type 2 diabetes mellitus without complications',
  'E11.65': 'Type 2 diabetes mellitus with hyperglycemia',
  'E11.22': 'Type 2 diabetes mellitus with diabetic chronic kidney disease',
  I10: 'Essential (primary) hypertension',
  'E78.5': 'Hyperlipidemia, unspecified',
  'I25.10': 'Atherosclerotic heart disease of native coronary artery without angina pectoris',
  'I48.91': 'Unspecified atrial fibrillation',
  'I50.9': 'Heart failure, unspecified',
  'I50.23': 'Acute on chronic systolic (congestive) heart failure',
  'J44.9': 'Chronic obstructive pulmonary disease, unspecified',
  'J44.1': 'Chronic obstructive pulmonary disease with (acute) exacerbation',
  'J45.909': 'Unspecified asthma, uncomplicated',
  'J18.9': 'Pneumonia, unspecified organism',
  'J06.9': 'Acute upper respiratory infection, unspecified',
  'N39.0': 'Urinary tract infection, site not specified',
  'N17.9': 'Acute kidney failure, unspecified',
  'N18.9': 'Chronic kidney disease, unspecified',
  'A41.9': 'Sepsis, unspecified organism',
  'I21.4': 'Non-ST elevation (NSTEMI) myocardial infarction',
  'I63.9': 'Cerebral infarction, unspecified',
  'R07.9': 'Chest pain, unspecified',
  'R10.9': 'Unspecified abdominal pain',
  R55: 'Syncope and collapse',
  'K35.80': 'Unspecified acute appendicitis',
  'K80.20': 'Calculus of gallbladder without cholecystitis without obstruction',
  'K21.9': 'Gastro-esophageal reflux disease without esophagitis',
  'K92.2': 'Gastrointestinal hemorrhage, unspecified',
  'F32.9': 'Major depressive disorder, single episode, unspecified',
  'F41.1': 'Generalized anxiety disorder',
  'F17.210': 'Nicotine dependence, cigarettes, uncomplicated',
  'M54.9': 'Dorsalgia, unspecified',
  'M17.11': 'Unilateral primary osteoarthritis, right knee',
  'S72.001A': 'Fracture of unspecified part of neck of right femur, initial encounter for closed fracture',
  'S06.0X0A': 'Concussion without loss of consciousness, initial encounter',
  'S93.401A': 'Sprain of unspecified ligament of right ankle, initial encounter',
  'L03.116': 'Cellulitis of left lower limb',
  'E66.9': 'Obesity, unspecified',
  'E03.9': 'Hypothyroidism, unspecified',
  'D64.9': 'Anemia, unspecified',
  'G47.33': 'Obstructive sleep apnea (adult) (pediatric)',
  'E86.0': 'Dehydration',
  'J96.01': 'Acute respiratory failure with hypoxia',
  'R50.9': 'Fever, unspecified',
  O80: 'Encounter for full-term uncomplicated delivery',
  'Z00.00': 'Encounter for general adult medical examination without abnormal findings',
  'Z00.129': 'Encounter for routine child health examination without abnormal findings',
  Z23: 'Encounter for immunization',
  'Z79.4': 'Long term (current) use of insulin',
  'Z87.891': 'Personal history of nicotine dependence',
};

export const ICD10PCS: Readonly<Record<string, string>> = {
  '0DTJ4ZZ': 'Resection of Appendix, Percutaneous Endoscopic Approach',
  '0FT44ZZ': 'Resection of Gallbladder, Percutaneous Endoscopic Approach',
  '0SRC0J9': 'Replacement of Right Knee Joint with Synthetic Substitute, Cemented, Open Approach',
  '0QS604Z': 'Reposition Right Upper Femur with Internal Fixation Device, Open Approach',
  '027034Z':
    'Dilation of Coronary Artery, One Artery with Drug-eluting Intraluminal Device, Percutaneous Approach',
  '4A023N7': 'Measurement of Cardiac Sampling and Pressure, Left Heart, Percutaneous Approach',
  '5A1935Z': 'Respiratory Ventilation, Less than 24 Consecutive Hours',
  '5A1955Z': 'Respiratory Ventilation, Greater than 96 Consecutive Hours',
  '0BH17EZ': 'Insertion of Endotracheal Airway into Trachea, Via Natural or Artificial Opening',
  '30233N1': 'Transfusion of Nonautologous Red Blood Cells into Peripheral Vein, Percutaneous Approach',
  '0DJ08ZZ': 'Inspection of Upper Intestinal Tract, Via Natural or Artificial Opening Endoscopic',
  '10E0XZZ': 'Delivery of Products of Conception, External Approach',
  '5A1D70Z': 'Performance of Urinary Filtration, Intermittent, Less than 6 Hours Per Day',
};

export const HCPCS: Readonly<Record<string, string>> = {
  G0008: 'Administration of influenza virus vaccine',
  G0009: 'Administration of pneumococcal vaccine',
  G0438: 'Annual wellness visit, initial',
  G0439: 'Annual wellness visit, subsequent',
  G0378: 'Hospital observation service, per hour',
  J1100: 'Injection, dexamethasone sodium phosphate, 1 mg',
  J2405: 'Injection, ondansetron hydrochloride, per 1 mg',
  J1885: 'Injection, ketorolac tromethamine, per 15 mg',
  J2270: 'Injection, morphine sulfate, up to 10 mg',
  J0696: 'Injection, ceftriaxone sodium, per 250 mg',
  J7030: 'Infusion, normal saline solution, 1000 cc',
  A0427: 'Ambulance service, advanced life support, emergency transport, level 1',
  L4361: 'Walking boot, pneumatic and/or vacuum, prefabricated',
};

export const RXNORM: Readonly<Record<string, string>> = {
  '861007': 'metformin hydrochloride 500 MG Oral Tablet',
  '314076': 'lisinopril 10 MG Oral Tablet',
  '197361': 'amlodipine 5 MG Oral Tablet',
  '259255': 'atorvastatin 80 MG Oral Tablet',
  '312961': 'simvastatin 20 MG Oral Tablet',
  '310798': 'hydrochlorothiazide 25 MG Oral Tablet',
  '866414': '24 HR metoprolol succinate 100 MG Extended Release Oral Tablet',
  '200031': 'carvedilol 6.25 MG Oral Tablet',
  '313988': 'furosemide 40 MG Oral Tablet',
  '1719286': '10 ML furosemide 10 MG/ML Injection',
  '1364430': 'apixaban 2.5 MG Oral Tablet',
  '855332': 'warfarin sodium 5 MG Oral Tablet',
  '243670': 'aspirin 81 MG Oral Tablet',
  '106892': 'insulin isophane, human 70 UNT/ML / insulin regular, human 30 UNT/ML Injectable Suspension',
  '895994': '120 ACTUAT fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler',
  '745679': '200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler',
  '312617': 'prednisone 5 MG Oral Tablet',
  '313782': 'acetaminophen 325 MG Oral Tablet',
  '310965': 'ibuprofen 200 MG Oral Tablet',
  '849574': 'naproxen sodium 220 MG Oral Tablet',
  '1049221': 'acetaminophen 325 MG / oxycodone hydrochloride 5 MG Oral Tablet',
  '308192': 'amoxicillin 500 MG Oral Tablet',
  '562251': 'amoxicillin 250 MG / clavulanate 125 MG Oral Tablet',
  '309309': 'ciprofloxacin 500 MG Oral Tablet',
  '311995': 'nitrofurantoin, macrocrystals 50 MG Oral Capsule',
  '1665060': 'cefazolin 2000 MG Injection',
  '1659131': 'piperacillin 2000 MG / tazobactam 250 MG Injection',
  '854235': '0.4 ML enoxaparin sodium 100 MG/ML Prefilled Syringe',
  '312938': 'sertraline 100 MG Oral Tablet',
  '310385': 'fluoxetine 20 MG Oral Capsule',
  '966222': 'levothyroxine sodium 0.075 MG Oral Tablet',
};

/** Codes for a caller-given list or our built-in one, with helpers to draw from either. */
export interface CodeSource {
  /** The display for a built-in code, from the loaded list when it has the code. */
  display(code: string): string | undefined;
  /** A random billable code from the loaded list (undefined when nothing was loaded). */
  random(rng: { pick<T>(items: readonly T[]): T }): CodeEntry | undefined;
}

export function codeSource(
  loaded: readonly CodeEntry[] | undefined,
  builtIn: Readonly<Record<string, string>>,
  usable: (code: string) => boolean = () => true,
): CodeSource {
  if (!loaded || loaded.length === 0) {
    return { display: (code) => builtIn[code], random: () => undefined };
  }
  const byCode = new Map<string, string>();
  for (const entry of loaded) byCode.set(normalise(entry.code), entry.display);
  const pool = loaded.filter((entry) => usable(entry.code));
  return {
    display: (code) => byCode.get(normalise(code)),
    random: (rng) => (pool.length > 0 ? rng.pick(pool) : undefined),
  };
}

/** Code set files spell E11.9 as E119; compare without the dot. */
function normalise(code: string): string {
  return code.replace('.', '').toUpperCase();
}
