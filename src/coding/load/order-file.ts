import { formatCode } from '../systems.ts';
import { parentOf, type EntryRecord } from './records.ts';

/**
 * Parses a CMS ICD-10-CM or ICD-10-PCS "order file": fixed width, one code or header per line.
 * Columns (1-based): 1-5 order number, 7-13 code without dot, 15 billable flag, 17-76 short
 * description, 78- long description.
 */
export function parseOrderFile(text: string, system: 'icd10cm' | 'icd10pcs'): EntryRecord[] {
  const entries: EntryRecord[] = [];
  const seen = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const key = line.slice(6, 13).trim().toUpperCase();
    const flag = line.charAt(14);
    if (!/^[0-9A-Z]{3,7}$/.test(key) || (flag !== '0' && flag !== '1')) {
      throw new Error(`Not an order file line: ${line.slice(0, 40)}`);
    }
    const order = Number(line.slice(0, 5));
    entries.push({
      key,
      code: formatCode(system, key),
      display: line.slice(77).trim() || line.slice(16, 76).trim(),
      shortDisplay: line.slice(16, 76).trim(),
      billable: flag === '1',
      kind: kindOf(system, key),
      parentKey: parentOf(key, seen),
      order: Number.isFinite(order) ? order : entries.length + 1,
      validFrom: null,
      validTo: null,
    });
    seen.add(key);
  }
  return entries;
}

function kindOf(system: 'icd10cm' | 'icd10pcs', key: string): EntryRecord['kind'] {
  if (system === 'icd10pcs') return key.length < 7 ? 'table' : 'code';
  return key.length === 3 ? 'category' : 'code';
}

/** True when the first line looks like an order file (used for files named otherwise). */
export function looksLikeOrderFile(firstLine: string): boolean {
  return /^\d{5} [0-9A-Z]{3,7}\s* [01] \S/.test(firstLine);
}
