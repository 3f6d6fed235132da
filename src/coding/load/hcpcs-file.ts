import { parentOf, type EntryRecord } from './records.ts';

/**
 * Parses CMS's alpha-numeric HCPCS fixed-width file (HCPC<year>_ANWEB*.txt). Columns (1-based):
 * 1-5 code (modifiers right-aligned in 4-5), 6-10 sequence, 11 record id (3 procedure, 4 its
 * continuation, 7 modifier, 8 its continuation), 12-91 long description, 92-119 short description,
 * 269-276 add date, 277-284 action effective date, 285-292 termination date (YYYYMMDD).
 * Lines before the first record (the disclaimer paragraph) are skipped.
 */
export function parseHcpcsFile(text: string): EntryRecord[] {
  const entries: EntryRecord[] = [];
  const seen = new Set<string>();
  let current: EntryRecord | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const rid = line.charAt(10);
    const key = line.slice(0, 5).trim().toUpperCase();
    if (!/^[0-9A-Z]{2,5}$/.test(key) || !/^\d{5}$/.test(line.slice(5, 10))) continue;
    const long = line.slice(11, 91).trim();
    if (rid === '3' || rid === '7') {
      current = {
        key,
        code: key,
        display: long,
        shortDisplay: line.slice(91, 119).trim() || null,
        billable: rid === '3',
        kind: rid === '3' ? 'code' : 'modifier',
        parentKey: rid === '3' ? parentOf(key, seen) : null,
        order: entries.length + 1,
        validFrom: yyyymmdd(line.slice(268, 276)),
        validTo: yyyymmdd(line.slice(284, 292)),
      };
      entries.push(current);
      seen.add(key);
    } else if ((rid === '4' || rid === '8') && current && current.key === key && long) {
      current.display = `${current.display} ${long}`;
    }
  }
  return entries;
}

function yyyymmdd(value: string): string | null {
  return /^\d{8}$/.test(value) ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}` : null;
}
