import { formatCode } from '../systems.ts';
import type { EntryRecord } from './records.ts';

/**
 * Parses a CMS "codes file" (icd10cm_codes_<FY>.txt, icd10pcs_codes_<FY>.txt): one valid code a
 * line, the code without a dot, spaces, then the long description. It lists billable codes only,
 * so for ICD-10-CM the headers above them (categories and subcategories) are added as
 * non-billable rows with an empty title: the cache gives them the title of the nearest year that
 * has one. Without them a header such as E11 would read as "not a code" instead of "a header".
 */
export function parseCodesFile(text: string, system: 'icd10cm' | 'icd10pcs'): EntryRecord[] {
  const codes: Array<{ key: string; display: string }> = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const m = /^([0-9A-Z]{3,7})\s+(\S.*)$/.exec(line);
    if (!m) throw new Error(`Not a codes file line: ${line.slice(0, 40)}`);
    codes.push({ key: m[1]!, display: m[2]!.trim() });
  }
  const entries: EntryRecord[] = [];
  const seen = new Set<string>();
  const add = (key: string, display: string, billable: boolean): void => {
    entries.push({
      key,
      code: formatCode(system, key),
      display,
      shortDisplay: null,
      billable,
      kind: system === 'icd10pcs' ? 'code' : key.length === 3 ? 'category' : 'code',
      parentKey: parentIn(key, seen),
      order: entries.length + 1,
      validFrom: null,
      validTo: null,
    });
    seen.add(key);
  };
  for (const { key, display } of codes) {
    if (system === 'icd10cm') {
      for (let n = 3; n < key.length; n++) {
        const header = key.slice(0, n);
        if (!seen.has(header)) add(header, '', false);
      }
    }
    if (!seen.has(key)) add(key, display, true);
  }
  return entries;
}

function parentIn(key: string, seen: ReadonlySet<string>): string | null {
  for (let n = key.length - 1; n >= 3; n--) if (seen.has(key.slice(0, n))) return key.slice(0, n);
  return null;
}
