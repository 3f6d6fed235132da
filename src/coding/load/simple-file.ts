import { codeKey, isCodeSystemId, type CodeSystemId } from '../systems.ts';
import type { EntryRecord } from './records.ts';

/**
 * The generic format for a licensed user's own CPT, SNOMED CT or LOINC export (we ship none):
 * a UTF-8 tab-separated file named `*.codes.tsv` (optionally gzipped) whose first lines declare
 *   # system: cpt            (cpt | snomedct | loinc | icd10pcs | hcpcs | icd10cm)
 *   # version: 2024
 * followed by `code<TAB>display[<TAB>billable 1|0]` rows. A `code<TAB>display` header row is skipped.
 */
export function parseSimpleFile(text: string): {
  system: CodeSystemId;
  version: string;
  entries: EntryRecord[];
} {
  let system: CodeSystemId | undefined;
  let version: string | undefined;
  const entries: EntryRecord[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const header = /^#\s*(system|version)\s*[:=]\s*(\S+)/i.exec(line);
    if (header) {
      const value = header[2] ?? '';
      if (header[1]?.toLowerCase() === 'system') {
        if (!isCodeSystemId(value)) throw new Error(`Unknown code system "${value}" in simple code file`);
        system = value;
      } else version = value;
      continue;
    }
    if (line.startsWith('#')) continue;
    const [code = '', display = '', billable] = line.split('\t');
    if (code.toLowerCase() === 'code') continue;
    if (!code.trim() || !display.trim())
      throw new Error(`Simple code file row needs code and display: ${line}`);
    const key = codeKey(code);
    entries.push({
      key,
      code: code.trim(),
      display: display.trim(),
      shortDisplay: null,
      billable: billable === undefined || billable.trim() !== '0',
      kind: 'code',
      // Prefixes of CPT, SNOMED CT or LOINC codes mean nothing: no hierarchy from the key.
      parentKey: null,
      order: entries.length + 1,
      validFrom: null,
      validTo: null,
    });
  }
  if (!system || !version)
    throw new Error('Simple code file must declare "# system:" and "# version:" lines');
  return { system, version, entries };
}
