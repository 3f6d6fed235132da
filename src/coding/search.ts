import type { Db } from '../db/index.ts';
import { billableIn, getCodeCache, latestVersions, setKey, tabularFor, type CodeCache } from './cache.ts';
import { commonTermCodes, expandAbbreviations } from './coder-terms.ts';
import { notesFor } from './notes.ts';
import { codeKey } from './systems.ts';
import type { CodeHit, CodeRow, SearchParams } from './types.ts';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 200;

/**
 * Finds codes by code prefix (E11., E119, A0021) and by words in any order with typo tolerance,
 * best first. Without `fy` each system's newest loaded version is searched; `fy` picks a release
 * (fiscal year for ICD-10, calendar year for HCPCS).
 */
export async function searchCodes(db: Db, params: SearchParams): Promise<CodeHit[]> {
  const cache = await getCodeCache(db);
  return searchCache(cache, params).map((row) => toHit(cache, row));
}

/** The search itself over an already built cache (what the benchmark times). */
export function searchCache(cache: CodeCache, params: SearchParams): CodeRow[] {
  const q = params.q.trim();
  const limit = Math.min(Math.max(1, params.limit ?? DEFAULT_LIMIT), MAX_LIMIT);
  if (!q) return [];
  const allowed = allowedSets(cache, params);
  if (allowed.size === 0) return [];
  const filter = (row: CodeRow): boolean => allowed.has(setKey(row.system, row.version));
  const key = codeKey(q);
  const out: CodeRow[] = [];
  const seen = new Set<CodeRow>();
  const add = (row: CodeRow): void => {
    if (out.length < limit && !seen.has(row)) {
      seen.add(row);
      out.push(row);
    }
  };
  if (looksLikeCode(q)) {
    // A dot is ICD-10-CM notation: "E11." means the category, not HCPCS E1100.
    const dotted = q.includes('.')
      ? (row: CodeRow): boolean => filter(row) && row.system === 'icd10cm'
      : filter;
    for (const row of prefixIn(cache, allowed, key, dotted, limit)) add(row);
    if (/\d/.test(key)) return out;
  } else if (/^[A-Z0-9]{2,7}$/.test(key)) {
    // A short word may also be a modifier or a code without digits (e.g. HCPCS modifier "RT").
    for (const row of prefixIn(cache, allowed, key, filter, limit)) if (row.key === key) add(row);
  }
  // A common term's default code first (the Alphabetic Index's "Hypertension ... I10"), then words.
  for (const code of commonTermCodes(q)) {
    for (const set of cache.sets.values()) {
      if (set.system !== 'icd10cm' || !allowed.has(setKey(set.system, set.version))) continue;
      const row = set.byKey.get(codeKey(code));
      if (row) add(row);
    }
  }
  const words = expandAbbreviations(q);
  // Each index holds one release, and only allowed releases are searched: no row test needed.
  const scored = [...allowed].flatMap((k) => cache.indexes.get(k)?.words(words, everyRow, limit) ?? []);
  // Plain comparisons: localeCompare costs more than the search itself on large result sets.
  scored.sort((a, b) => b.score - a.score || (a.row.key < b.row.key ? -1 : a.row.key > b.row.key ? 1 : 0));
  for (const hit of scored) add(hit.row);
  return out;
}

const everyRow = (): boolean => true;

/** Code-prefix matches over the allowed releases, in key order. */
function prefixIn(
  cache: CodeCache,
  allowed: Set<string>,
  key: string,
  filter: (row: CodeRow) => boolean,
  limit: number,
): CodeRow[] {
  const rows = [...allowed].flatMap((k) => cache.indexes.get(k)?.prefix(key, filter, limit) ?? []);
  return rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, limit);
}

function looksLikeCode(q: string): boolean {
  const compact = q.replace(/\s+/g, '');
  return (
    /^[A-Za-z]?\d[0-9A-Za-z]*\.?[0-9A-Za-z]*-?$/.test(compact) ||
    (/^[A-Za-z]\d/.test(compact) && !/\s/.test(q.trim()))
  );
}

function allowedSets(cache: CodeCache, params: SearchParams): Set<string> {
  const allowed = new Set<string>();
  const latest = latestVersions(cache);
  for (const set of cache.sets.values()) {
    if (params.system && set.system !== params.system) continue;
    if (params.fy ? set.version !== params.fy : latest.get(set.system) !== set.version) continue;
    allowed.add(setKey(set.system, set.version));
  }
  return allowed;
}

export function toHit(cache: CodeCache, row: CodeRow): CodeHit {
  const set = cache.sets.get(setKey(row.system, row.version));
  const tabular = set ? tabularFor(cache, set) : undefined;
  return {
    code: row.code,
    display: row.display,
    system: row.system,
    version: row.version,
    billable: row.billable,
    validIn: billableIn(cache, row.system, row.key),
    ...(tabular && tabular !== set && tabular.notes.size > 0 ? { notesFrom: tabular.version } : {}),
    notes: tabular ? notesFor(tabular, row.key) : [],
  };
}

/**
 * The plain baseline the benchmark compares against: one pass over every code testing a key
 * prefix or a substring of the description.
 */
export function scanCache(cache: CodeCache, q: string, limit = DEFAULT_LIMIT): CodeRow[] {
  const key = codeKey(q);
  const lower = q.trim().toLowerCase();
  const out: CodeRow[] = [];
  for (const row of [...cache.indexes.values()].flatMap((index) => index.rows)) {
    if (row.key.startsWith(key) || row.display.toLowerCase().includes(lower)) {
      out.push(row);
      if (out.length >= limit) break;
    }
  }
  return out;
}
