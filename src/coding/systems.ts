/**
 * The code systems Custodian knows. The first three are public CMS/NCHS releases; the licensed ones
 * (CPT, SNOMED CT, LOINC) load only from a site's own files in the simple tab-separated format.
 */
export const CODE_SYSTEMS = ['icd10cm', 'icd10pcs', 'hcpcs', 'cpt', 'snomedct', 'loinc'] as const;
export type CodeSystemId = (typeof CODE_SYSTEMS)[number];

export const SYSTEM_URIS: Readonly<Record<CodeSystemId, string>> = {
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  icd10pcs: 'http://www.cms.gov/Medicare/Coding/ICD10',
  hcpcs: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  cpt: 'http://www.ama-assn.org/go/cpt',
  snomedct: 'http://snomed.info/sct',
  loinc: 'http://loinc.org',
};

export const SYSTEM_NAMES: Readonly<Record<CodeSystemId, string>> = {
  icd10cm: 'ICD-10-CM',
  icd10pcs: 'ICD-10-PCS',
  hcpcs: 'HCPCS Level II',
  cpt: 'CPT',
  snomedct: 'SNOMED CT',
  loinc: 'LOINC',
};

export function isCodeSystemId(value: string): value is CodeSystemId {
  return (CODE_SYSTEMS as readonly string[]).includes(value);
}

/** Accepts our short id or the FHIR system URI (a common misspelling `fhid` too). */
export function systemFromUri(uri: string): CodeSystemId | undefined {
  const clean = uri.trim().replace('/fhid/', '/fhir/').replace(/\/$/, '');
  if (isCodeSystemId(clean)) return clean;
  for (const id of CODE_SYSTEMS) {
    if (SYSTEM_URIS[id].toLowerCase() === clean.toLowerCase()) return id;
  }
  return undefined;
}

/** Code systems whose codes are written with a dot after the third character. */
export function usesDot(system: CodeSystemId): boolean {
  return system === 'icd10cm';
}

/** The stored key: upper case, no dot, no spaces. */
export function codeKey(code: string): string {
  return code.replace(/[.\s]/g, '').toUpperCase();
}

/** The display form: ICD-10-CM gets its dot after the category (E119 -> E11.9). */
export function formatCode(system: CodeSystemId, key: string): string {
  return usesDot(system) && key.length > 3 ? `${key.slice(0, 3)}.${key.slice(3)}` : key;
}
