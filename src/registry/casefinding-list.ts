/**
 * The casefinding list: which ICD-10-CM codes name a reportable neoplasm (SEER casefinding list)
 * and which only flag a record for a registrar's review. Pure functions over the code text.
 */

export type CaseFlag = 'reportable' | 'review';

export const ICD10CM_SYSTEM = 'http://hl7.org/fhir/sid/icd-10-cm';

/** Code without its dot, upper case: C50.911 -> C50911. */
function bare(code: string): string {
  return code.replace('.', '').trim().toUpperCase();
}

/** Category (first three characters) within [from, to], letters in the third place included (C4A, C7A). */
function inRange(category: string, from: string, to: string): boolean {
  return category >= from && category <= to;
}

/** Reportable D47 subcategories as the SEER list has them (mastocytosis D47.02, not D47.01 / D47.09 / D47.2). */
const D47_REPORTABLE = ['D471', 'D473', 'D474', 'D479', 'D47Z1', 'D47Z2', 'D47Z9', 'D4702'];

/** Cytology findings of carcinoma in situ: flagged for review, a pathology report may confirm them. */
const REVIEW_CODES = new Set(['R85614', 'R87614', 'R87624']);

/** The flag of an ICD-10-CM code on the casefinding list, or undefined when it is not on the list. */
export function casefindingFlag(code: string): CaseFlag | undefined {
  const c = bare(code);
  if (!/^[A-Z]\d[0-9A-Z]/.test(c)) return undefined;
  const category = c.slice(0, 3);
  if (/^C\d[0-9A-Z]$/.test(category) && inRange(category, 'C00', 'C96')) return 'reportable';
  if (inRange(category, 'D00', 'D09')) return 'reportable';
  if (category === 'D32' || category === 'D33') return 'reportable';
  if (category === 'D35' && ['D352', 'D353', 'D354'].includes(c.slice(0, 4))) return 'reportable';
  if (category === 'D42' || category === 'D43') return 'reportable';
  if (category === 'D44' && ['D443', 'D444', 'D445'].includes(c.slice(0, 4))) return 'reportable';
  if (category === 'D45' || category === 'D46') return 'reportable';
  if (category === 'D47' && D47_REPORTABLE.some((p) => c.startsWith(p))) return 'reportable';
  if (REVIEW_CODES.has(c)) return 'review';
  if (category === 'Z85') return 'review';
  return undefined;
}

/** In situ categories whose ICD-O-3 site group differs from the code's own category. */
const IN_SITU_SITES: Readonly<Record<string, string>> = {
  D010: 'C18',
  D011: 'C19',
  D012: 'C20',
  D022: 'C34',
  D03: 'C44',
  D04: 'C44',
  D05: 'C50',
  D06: 'C53',
  D075: 'C61',
  D090: 'C67',
};

/**
 * The primary site group a code names (ICD-O-3 topography category, C50 for breast), used to
 * match a candidate against the registry's cases: C50.911 and D05.11 are both breast.
 */
export function siteKeyOf(code: string): string {
  const c = bare(code);
  const category = c.slice(0, 3);
  if (category.startsWith('C')) return category;
  return IN_SITU_SITES[c.slice(0, 4)] ?? IN_SITU_SITES[category] ?? category;
}

/** The ICD-O-3 primary site an ICD-10-CM malignant code suggests: C50.911 -> C509 (C00-C80 only). */
export function topographyOf(code: string): string | undefined {
  const c = bare(code);
  if (!/^C[0-7]\d|^C80/.test(c) || /^C[0-9][A-Z]/.test(c)) return undefined;
  const category = c.slice(0, 3);
  if (category >= 'C77' && category <= 'C79') return undefined; // secondary: the primary is elsewhere
  return `${category}${/^\d$/.test(c[3] ?? '') ? c[3] : '9'}`;
}

/** Laterality an ICD-10-CM code spells in its sixth character for breast (C50.911 right, C50.912 left). */
export function lateralityOf(code: string): string | undefined {
  const c = bare(code);
  if (/^C50\d{2}[12]$/.test(c)) return c.endsWith('1') ? '1' : '2';
  if (/^C34[0-39][12]$/.test(c)) return c.endsWith('1') ? '1' : '2';
  return undefined;
}

/** The ICD-O-3 behaviours that agree with an ICD-10-CM code from the list (undefined: any). */
export function behavioursFor(code: string): readonly string[] | undefined {
  const c = bare(code);
  const category = c.slice(0, 3);
  if (category.startsWith('C')) return ['3'];
  if (inRange(category, 'D00', 'D09') || REVIEW_CODES.has(c)) return ['2'];
  if (category === 'D32' || category === 'D33' || category === 'D35') return ['0', '1'];
  if (category === 'D42' || category === 'D43' || category === 'D44') return ['1'];
  if (category === 'D45' || category === 'D46' || category === 'D47') return ['3'];
  return undefined;
}
