import type { Sex } from './names.ts';

/**
 * Clinical patterns behind the generated charts: chronic conditions by age band (roughly the US
 * adult prevalence), and encounter scenarios per class with their principal diagnosis, typical
 * procedures and medications, the lab abnormalities they show, and the sentences notes use.
 */

export type EncounterClass = 'IMP' | 'AMB' | 'EMER';

/** Prevalence by age band: [<18, 18-44, 45-64, 65+]. */
export interface Chronic {
  code: string;
  prevalence: readonly [number, number, number, number];
  femaleFactor?: number;
  meds: readonly string[];
  phrase: string;
}

export const CHRONIC: readonly Chronic[] = [
  {
    code: 'I10',
    prevalence: [0.01, 0.12, 0.38, 0.62],
    meds: ['314076', '197361', '310798'],
    phrase: 'hypertension',
  },
  { code: 'E78.5', prevalence: [0, 0.08, 0.3, 0.45], meds: ['259255', '312961'], phrase: 'hyperlipidemia' },
  { code: 'E11.9', prevalence: [0.002, 0.04, 0.15, 0.25], meds: ['861007'], phrase: 'type 2 diabetes' },
  { code: 'I25.10', prevalence: [0, 0.01, 0.07, 0.18], meds: ['243670'], phrase: 'coronary artery disease' },
  {
    code: 'I50.9',
    prevalence: [0, 0.003, 0.03, 0.1],
    meds: ['313988', '200031'],
    phrase: 'chronic heart failure',
  },
  {
    code: 'I48.91',
    prevalence: [0, 0.002, 0.02, 0.09],
    meds: ['1364430', '855332'],
    phrase: 'atrial fibrillation',
  },
  { code: 'J44.9', prevalence: [0, 0.01, 0.06, 0.12], meds: ['895994', '745679'], phrase: 'COPD' },
  { code: 'J45.909', prevalence: [0.08, 0.08, 0.07, 0.06], meds: ['745679'], phrase: 'asthma' },
  { code: 'N18.9', prevalence: [0, 0.01, 0.05, 0.15], meds: [], phrase: 'chronic kidney disease' },
  {
    code: 'F32.9',
    prevalence: [0.02, 0.08, 0.08, 0.06],
    femaleFactor: 1.6,
    meds: ['312938', '310385'],
    phrase: 'depression',
  },
  {
    code: 'F41.1',
    prevalence: [0.02, 0.07, 0.06, 0.04],
    femaleFactor: 1.6,
    meds: ['312938'],
    phrase: 'generalized anxiety disorder',
  },
  {
    code: 'E03.9',
    prevalence: [0.005, 0.03, 0.06, 0.1],
    femaleFactor: 2.5,
    meds: ['966222'],
    phrase: 'hypothyroidism',
  },
  { code: 'E66.9', prevalence: [0.1, 0.2, 0.25, 0.2], meds: [], phrase: 'obesity' },
  { code: 'K21.9', prevalence: [0.01, 0.08, 0.12, 0.14], meds: [], phrase: 'GERD' },
  { code: 'G47.33', prevalence: [0, 0.03, 0.08, 0.08], meds: [], phrase: 'obstructive sleep apnea' },
  { code: 'F17.210', prevalence: [0, 0.14, 0.14, 0.08], meds: [], phrase: 'tobacco use' },
  {
    code: 'M17.11',
    prevalence: [0, 0.01, 0.06, 0.12],
    meds: ['849574'],
    phrase: 'osteoarthritis of the right knee',
  },
];

export type LabTag = 'infection' | 'sepsis' | 'hf' | 'acs' | 'chestpain' | 'bleed' | 'aki' | 'dehydration';

export interface Scenario {
  key: string;
  cls: EncounterClass;
  weight: number;
  dx: string;
  extraDx?: readonly string[];
  /** ICD-10-PCS for inpatient stays, HCPCS for outpatient and emergency visits. */
  procedures?: readonly string[];
  procedureChance?: number;
  meds: readonly string[];
  sex?: Sex;
  minAge?: number;
  maxAge?: number;
  /** Inpatient length of stay in days, [min, max]. */
  los?: readonly [number, number];
  planned?: boolean;
  labs?: readonly LabTag[];
  complaint: string;
  course: readonly string[];
  typeCode: string;
  typeDisplay: string;
}

const ADMISSION = { typeCode: '32485007', typeDisplay: 'Hospital admission' } as const;
const ED = { typeCode: '50849002', typeDisplay: 'Emergency room admission' } as const;
const FOLLOW_UP = { typeCode: '390906007', typeDisplay: 'Follow-up encounter' } as const;
const SYMPTOM = { typeCode: '185345009', typeDisplay: 'Encounter for symptom' } as const;
const CHECK_UP = { typeCode: '185349003', typeDisplay: 'Encounter for check up' } as const;

export const SCENARIOS: readonly Scenario[] = [
  // Inpatient stays
  {
    key: 'pneumonia',
    cls: 'IMP',
    weight: 12,
    dx: 'J18.9',
    meds: ['1659131', '562251'],
    los: [3, 6],
    labs: ['infection'],
    complaint: 'cough, fever and shortness of breath',
    course: [
      'Chest X-ray showed a right lower lobe infiltrate.',
      'Treated with IV antibiotics and transitioned to oral therapy once afebrile for 48 hours.',
    ],
    ...ADMISSION,
  },
  {
    key: 'sepsis',
    cls: 'IMP',
    weight: 8,
    dx: 'A41.9',
    extraDx: ['N39.0', 'N17.9'],
    meds: ['1659131', '309309'],
    los: [4, 9],
    labs: ['sepsis', 'aki'],
    complaint: 'fever, confusion and low blood pressure',
    course: [
      'Met sepsis criteria on arrival with lactate elevation; blood and urine cultures were drawn.',
      'Received fluid resuscitation and broad-spectrum antibiotics, narrowed per culture results.',
    ],
    ...ADMISSION,
  },
  {
    key: 'chf',
    cls: 'IMP',
    weight: 10,
    dx: 'I50.23',
    meds: ['1719286', '313988', '200031'],
    minAge: 50,
    los: [3, 7],
    labs: ['hf'],
    complaint: 'worsening shortness of breath and leg swelling',
    course: [
      'Presented volume overloaded with bilateral lower extremity edema.',
      'Diuresed with IV furosemide with net negative fluid balance and improved symptoms.',
    ],
    ...ADMISSION,
  },
  {
    key: 'copd',
    cls: 'IMP',
    weight: 7,
    dx: 'J44.1',
    meds: ['312617', '745679', '562251'],
    minAge: 45,
    los: [2, 5],
    labs: ['infection'],
    complaint: 'increased shortness of breath and wheezing',
    course: [
      'Treated with systemic steroids, scheduled bronchodilators and antibiotics.',
      'Oxygen was weaned to room air before discharge.',
    ],
    ...ADMISSION,
  },
  {
    key: 'nstemi',
    cls: 'IMP',
    weight: 6,
    dx: 'I21.4',
    meds: ['243670', '259255', '866414', '854235'],
    procedures: ['4A023N7', '027034Z'],
    procedureChance: 0.8,
    minAge: 40,
    los: [2, 5],
    labs: ['acs'],
    complaint: 'substernal chest pressure',
    course: [
      'Troponin was elevated and trending up; started on anticoagulation and antiplatelet therapy.',
      'Cardiac catheterization showed a culprit lesion that was treated with a drug-eluting stent.',
    ],
    ...ADMISSION,
  },
  {
    key: 'stroke',
    cls: 'IMP',
    weight: 4,
    dx: 'I63.9',
    meds: ['243670', '259255'],
    minAge: 50,
    los: [3, 7],
    complaint: 'sudden weakness of the left arm and slurred speech',
    course: [
      'MRI confirmed an acute ischemic infarct.',
      'Evaluated by physical, occupational and speech therapy.',
    ],
    ...ADMISSION,
  },
  {
    key: 'appendicitis',
    cls: 'IMP',
    weight: 5,
    dx: 'K35.80',
    meds: ['1665060', '1049221'],
    procedures: ['0DTJ4ZZ'],
    procedureChance: 0.95,
    minAge: 5,
    maxAge: 75,
    los: [1, 3],
    labs: ['infection'],
    complaint: 'right lower quadrant abdominal pain',
    course: [
      'CT of the abdomen showed acute appendicitis.',
      'Underwent laparoscopic appendectomy without complication.',
    ],
    ...ADMISSION,
  },
  {
    key: 'cholelithiasis',
    cls: 'IMP',
    weight: 4,
    dx: 'K80.20',
    meds: ['1665060', '1049221'],
    procedures: ['0FT44ZZ'],
    procedureChance: 0.95,
    minAge: 25,
    los: [1, 3],
    planned: true,
    complaint: 'recurrent right upper quadrant pain after meals',
    course: [
      'Ultrasound showed gallstones.',
      'Underwent laparoscopic cholecystectomy and tolerated a diet afterwards.',
    ],
    ...ADMISSION,
  },
  {
    key: 'hip-fracture',
    cls: 'IMP',
    weight: 4,
    dx: 'S72.001A',
    extraDx: ['D64.9'],
    meds: ['1049221', '854235'],
    procedures: ['0QS604Z', '30233N1'],
    procedureChance: 0.9,
    minAge: 65,
    los: [4, 8],
    labs: ['bleed'],
    complaint: 'fall at home with right hip pain',
    course: [
      'X-ray showed a right femoral neck fracture.',
      'Underwent open reduction and internal fixation; postoperative anemia was treated with transfusion.',
    ],
    ...ADMISSION,
  },
  {
    key: 'knee-replacement',
    cls: 'IMP',
    weight: 4,
    dx: 'M17.11',
    meds: ['1665060', '1049221', '854235'],
    procedures: ['0SRC0J9'],
    procedureChance: 1,
    minAge: 50,
    los: [1, 3],
    planned: true,
    complaint: 'chronic right knee pain limiting walking',
    course: [
      'Admitted for elective right total knee arthroplasty.',
      'Mobilised with physical therapy on postoperative day one.',
    ],
    ...ADMISSION,
  },
  {
    key: 'delivery',
    cls: 'IMP',
    weight: 6,
    dx: 'O80',
    meds: ['310965'],
    procedures: ['10E0XZZ'],
    procedureChance: 1,
    sex: 'female',
    minAge: 18,
    maxAge: 42,
    los: [1, 3],
    planned: true,
    complaint: 'onset of labor at term',
    course: [
      'Labor progressed without complication.',
      'Uncomplicated spontaneous vaginal delivery of a healthy infant.',
    ],
    ...ADMISSION,
  },
  {
    key: 'gi-bleed',
    cls: 'IMP',
    weight: 4,
    dx: 'K92.2',
    extraDx: ['D64.9'],
    meds: ['854235'],
    procedures: ['0DJ08ZZ', '30233N1'],
    procedureChance: 0.8,
    minAge: 40,
    los: [2, 5],
    labs: ['bleed'],
    complaint: 'black stools and lightheadedness',
    course: [
      'Hemoglobin dropped on serial checks.',
      'Upper endoscopy was performed and the patient received packed red blood cells.',
    ],
    ...ADMISSION,
  },
  {
    key: 'aki',
    cls: 'IMP',
    weight: 4,
    dx: 'N17.9',
    extraDx: ['E86.0'],
    meds: [],
    procedures: ['5A1D70Z'],
    procedureChance: 0.1,
    minAge: 50,
    los: [2, 6],
    labs: ['aki', 'dehydration'],
    complaint: 'poor oral intake and decreased urine output',
    course: [
      'Creatinine was elevated from baseline.',
      'Nephrotoxic medications were held and renal function improved with IV fluids.',
    ],
    ...ADMISSION,
  },
  {
    key: 'resp-failure',
    cls: 'IMP',
    weight: 2,
    dx: 'J96.01',
    extraDx: ['J18.9'],
    meds: ['1659131'],
    procedures: ['0BH17EZ', '5A1955Z'],
    procedureChance: 0.9,
    minAge: 50,
    los: [7, 14],
    labs: ['infection'],
    complaint: 'severe shortness of breath',
    course: [
      'Hypoxic on arrival and intubated for respiratory failure.',
      'Extubated after a prolonged course of mechanical ventilation in the ICU.',
    ],
    ...ADMISSION,
  },
  // Emergency visits
  {
    key: 'ed-chest-pain',
    cls: 'EMER',
    weight: 12,
    dx: 'R07.9',
    meds: ['243670'],
    minAge: 25,
    labs: ['chestpain'],
    complaint: 'chest pain',
    course: [
      'ECG showed no acute ischemic changes and serial troponins were negative.',
      'Discharged with outpatient stress testing.',
    ],
    ...ED,
  },
  {
    key: 'ed-abdominal-pain',
    cls: 'EMER',
    weight: 10,
    dx: 'R10.9',
    meds: [],
    procedures: ['J2405', 'J7030'],
    procedureChance: 0.6,
    complaint: 'abdominal pain',
    course: ['Labs and imaging were unremarkable.', 'Symptoms improved with IV fluids and antiemetics.'],
    ...ED,
  },
  {
    key: 'ed-uri',
    cls: 'EMER',
    weight: 8,
    dx: 'J06.9',
    meds: ['313782'],
    complaint: 'sore throat and congestion',
    course: ['Viral upper respiratory infection; supportive care discussed.'],
    ...ED,
  },
  {
    key: 'ed-uti',
    cls: 'EMER',
    weight: 8,
    dx: 'N39.0',
    meds: ['309309', '311995'],
    procedures: ['J0696'],
    procedureChance: 0.3,
    labs: ['infection'],
    complaint: 'painful urination',
    course: ['Urinalysis was consistent with infection.', 'Started on oral antibiotics.'],
    ...ED,
  },
  {
    key: 'ed-ankle',
    cls: 'EMER',
    weight: 7,
    dx: 'S93.401A',
    meds: ['310965'],
    procedures: ['L4361'],
    procedureChance: 0.5,
    complaint: 'right ankle injury',
    course: ['X-ray showed no fracture.', 'Placed in a walking boot with RICE instructions.'],
    ...ED,
  },
  {
    key: 'ed-concussion',
    cls: 'EMER',
    weight: 4,
    dx: 'S06.0X0A',
    meds: ['313782'],
    complaint: 'head injury',
    course: ['CT of the head was negative for bleeding.', 'Concussion precautions were reviewed.'],
    ...ED,
  },
  {
    key: 'ed-syncope',
    cls: 'EMER',
    weight: 4,
    dx: 'R55',
    meds: [],
    procedures: ['J7030'],
    procedureChance: 0.5,
    labs: ['dehydration'],
    complaint: 'passing out',
    course: [
      'Orthostatic vital signs were positive; telemetry showed no arrhythmia.',
      'Improved after IV fluids.',
    ],
    ...ED,
  },
  {
    key: 'ed-cellulitis',
    cls: 'EMER',
    weight: 4,
    dx: 'L03.116',
    meds: ['562251'],
    procedures: ['J0696'],
    procedureChance: 0.4,
    labs: ['infection'],
    complaint: 'redness and swelling of the left leg',
    course: ['Erythema was marked and the patient was started on antibiotics.'],
    ...ED,
  },
  {
    key: 'ed-back-pain',
    cls: 'EMER',
    weight: 6,
    dx: 'M54.9',
    meds: ['849574'],
    procedures: ['J1885'],
    procedureChance: 0.5,
    complaint: 'back pain',
    course: ['No red-flag symptoms; treated with anti-inflammatories.'],
    ...ED,
  },
  {
    key: 'ed-dehydration',
    cls: 'EMER',
    weight: 3,
    dx: 'E86.0',
    meds: [],
    procedures: ['J7030', 'J2405'],
    procedureChance: 0.8,
    labs: ['dehydration'],
    complaint: 'vomiting and diarrhea',
    course: ['Received IV fluids and antiemetics and tolerated oral intake.'],
    ...ED,
  },
  {
    key: 'ed-fever',
    cls: 'EMER',
    weight: 3,
    dx: 'R50.9',
    meds: ['313782'],
    maxAge: 17,
    labs: ['infection'],
    complaint: 'fever',
    course: ['Well appearing; no source of infection found.'],
    ...ED,
  },
  // Outpatient visits
  {
    key: 'wellness',
    cls: 'AMB',
    weight: 14,
    dx: 'Z00.00',
    meds: [],
    procedures: ['G0439', 'G0008'],
    procedureChance: 0.6,
    minAge: 18,
    complaint: 'annual physical',
    course: ['Preventive care reviewed and age-appropriate screening ordered.'],
    ...CHECK_UP,
  },
  {
    key: 'child-check',
    cls: 'AMB',
    weight: 5,
    dx: 'Z00.129',
    meds: [],
    maxAge: 17,
    complaint: 'well child visit',
    course: ['Growth and development are appropriate for age.'],
    ...CHECK_UP,
  },
  {
    key: 'chronic-follow-up',
    cls: 'AMB',
    weight: 25,
    dx: 'I10',
    meds: [],
    minAge: 18,
    complaint: 'follow-up of chronic conditions',
    course: ['Chronic conditions reviewed; medications refilled.'],
    ...FOLLOW_UP,
  },
  {
    key: 'clinic-uri',
    cls: 'AMB',
    weight: 6,
    dx: 'J06.9',
    meds: ['313782'],
    complaint: 'cough and congestion',
    course: ['Viral illness; supportive care.'],
    ...SYMPTOM,
  },
  {
    key: 'immunization',
    cls: 'AMB',
    weight: 4,
    dx: 'Z23',
    meds: [],
    procedures: ['G0008', 'G0009'],
    procedureChance: 1,
    complaint: 'vaccination',
    course: ['Vaccine administered without reaction.'],
    ...CHECK_UP,
  },
  {
    key: 'clinic-back-pain',
    cls: 'AMB',
    weight: 4,
    dx: 'M54.9',
    meds: ['849574'],
    complaint: 'low back pain',
    course: ['Home exercises and physical therapy referral.'],
    ...SYMPTOM,
  },
  {
    key: 'clinic-gerd',
    cls: 'AMB',
    weight: 3,
    dx: 'K21.9',
    meds: [],
    complaint: 'heartburn',
    course: ['Lifestyle changes discussed.'],
    ...SYMPTOM,
  },
];

export function ageBand(age: number): 0 | 1 | 2 | 3 {
  if (age < 18) return 0;
  if (age < 45) return 1;
  if (age < 65) return 2;
  return 3;
}
