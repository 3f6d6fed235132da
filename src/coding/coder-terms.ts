/**
 * The coder's vocabulary, maintained here (add a line, keep the lists sorted, add the pair to the
 * ranking test in coding.test.ts): the abbreviations clinicians write in charts, and the common
 * terms whose unqualified form the ICD-10-CM Alphabetic Index leads to one default code
 * ("Hypertension, hypertensive (accelerated) (benign) (essential) ... I10"). The word search alone
 * ranks by how well a title matches the words; for "hypertension" every kind of hypertension
 * matches as well as I10 does, so the default code is put first from this list.
 */

/** Whole-word abbreviations, expanded before the words are searched (lower case). */
export const ABBREVIATIONS: Readonly<Record<string, string>> = {
  afib: 'atrial fibrillation',
  aki: 'acute kidney injury',
  ams: 'altered mental status',
  ards: 'acute respiratory distress syndrome',
  adhd: 'attention deficit hyperactivity disorder',
  bph: 'benign prostatic hyperplasia',
  cad: 'coronary artery disease',
  cap: 'community acquired pneumonia',
  chf: 'congestive heart failure',
  ckd: 'chronic kidney disease',
  copd: 'chronic obstructive pulmonary disease',
  cva: 'stroke',
  dka: 'diabetic ketoacidosis',
  dm: 'diabetes mellitus',
  dm1: 'type 1 diabetes mellitus',
  dm2: 'type 2 diabetes mellitus',
  dvt: 'deep vein thrombosis',
  esrd: 'end stage renal disease',
  etoh: 'alcohol',
  fx: 'fracture',
  gerd: 'gastro-esophageal reflux disease',
  hf: 'heart failure',
  hld: 'hyperlipidemia',
  htn: 'hypertension',
  ibs: 'irritable bowel syndrome',
  iddm: 'type 1 diabetes mellitus',
  lbp: 'low back pain',
  mdd: 'major depressive disorder',
  mi: 'myocardial infarction',
  niddm: 'type 2 diabetes mellitus',
  oa: 'osteoarthritis',
  osa: 'obstructive sleep apnea',
  pad: 'peripheral arterial disease',
  pe: 'pulmonary embolism',
  pna: 'pneumonia',
  ptsd: 'post-traumatic stress disorder',
  pvd: 'peripheral vascular disease',
  ra: 'rheumatoid arthritis',
  sob: 'shortness of breath',
  sz: 'seizure',
  t1dm: 'type 1 diabetes mellitus',
  t2dm: 'type 2 diabetes mellitus',
  tia: 'transient ischemic attack',
  uti: 'urinary tract infection',
};

/** A common term (after abbreviations are expanded) -> its default code(s), best first. */
export const COMMON_TERMS: Readonly<Record<string, readonly string[]>> = {
  'abdominal pain': ['R10.9'],
  'acute kidney injury': ['N17.9'],
  'acute respiratory distress syndrome': ['J80'],
  'alcohol dependence': ['F10.20'],
  'altered mental status': ['R41.82'],
  anemia: ['D64.9'],
  anxiety: ['F41.9'],
  asthma: ['J45.909'],
  'atrial fibrillation': ['I48.91'],
  'attention deficit hyperactivity disorder': ['F90.9'],
  'benign prostatic hyperplasia': ['N40.0'],
  cellulitis: ['L03.90'],
  'chest pain': ['R07.9'],
  'chronic kidney disease': ['N18.9'],
  'chronic obstructive pulmonary disease': ['J44.9'],
  'chronic obstructive pulmonary disease exacerbation': ['J44.1'],
  'community acquired pneumonia': ['J18.9'],
  'congestive heart failure': ['I50.9'],
  'coronary artery disease': ['I25.10'],
  covid: ['U07.1'],
  'covid 19': ['U07.1'],
  'deep vein thrombosis': ['I82.409'],
  dehydration: ['E86.0'],
  depression: ['F32.A'],
  diabetes: ['E11.9'],
  'diabetes mellitus': ['E11.9'],
  'diabetic ketoacidosis': ['E11.10'],
  'end stage renal disease': ['N18.6'],
  'gastro esophageal reflux disease': ['K21.9'],
  'heart failure': ['I50.9'],
  hiv: ['B20'],
  hyperlipidemia: ['E78.5'],
  hypertension: ['I10'],
  hypokalemia: ['E87.6'],
  hyponatremia: ['E87.1'],
  hypothyroidism: ['E03.9'],
  'irritable bowel syndrome': ['K58.9'],
  'low back pain': ['M54.50'],
  'major depressive disorder': ['F32.9'],
  migraine: ['G43.909'],
  'myocardial infarction': ['I21.9'],
  obesity: ['E66.9'],
  'obstructive sleep apnea': ['G47.33'],
  osteoarthritis: ['M19.90'],
  'peripheral arterial disease': ['I73.9'],
  'peripheral vascular disease': ['I73.9'],
  pneumonia: ['J18.9'],
  'post traumatic stress disorder': ['F43.10'],
  'pulmonary embolism': ['I26.99'],
  'rheumatoid arthritis': ['M06.9'],
  seizure: ['R56.9'],
  sepsis: ['A41.9'],
  'shortness of breath': ['R06.02'],
  'sleep apnea': ['G47.30'],
  stroke: ['I63.9'],
  syncope: ['R55'],
  'tobacco use': ['Z72.0'],
  'transient ischemic attack': ['G45.9'],
  'type 1 diabetes': ['E10.9'],
  'type 1 diabetes mellitus': ['E10.9'],
  'type 2 diabetes': ['E11.9'],
  'type 2 diabetes mellitus': ['E11.9'],
  'urinary tract infection': ['N39.0'],
};

/** Lower-case words of a query, as the terms above are written (punctuation is a space). */
export function termWords(q: string): string[] {
  return q.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/** The query with its abbreviations written out (e.g. "chf exacerbation" -> "congestive heart failure exacerbation"). */
export function expandAbbreviations(q: string): string {
  return termWords(q)
    .map((w) => ABBREVIATIONS[w] ?? w)
    .join(' ');
}

/** The default codes of a common term the query names (written out or abbreviated), else none. */
export function commonTermCodes(q: string): readonly string[] {
  const plain = termWords(q).join(' ');
  const expanded = termWords(expandAbbreviations(q)).join(' ');
  return COMMON_TERMS[plain] ?? COMMON_TERMS[expanded] ?? [];
}
