import type { Db } from '../db/index.ts';
import type { GroupRecord } from './load/records.ts';
import { SearchIndex } from './search-index.ts';
import { isCodeSystemId, type CodeSystemId } from './systems.ts';
import type { CodeRow, NoteKind } from './types.ts';

/** A chapter or section as the cache keeps it: the loaded record without its load order. */
export type GroupRow = Omit<GroupRecord, 'order'>;

export interface NoteRow {
  kind: NoteKind;
  chr: string | null;
  text: string;
}

/** One loaded (system, version): its codes, tabular groups and notes by owner. */
export interface CodeSetData {
  system: CodeSystemId;
  version: string;
  byKey: Map<string, CodeRow>;
  chapters: GroupRow[];
  sections: GroupRow[];
  /** Notes by `${level}|${id}` where level is chapter | section | code. */
  notes: Map<string, NoteRow[]>;
}

export interface CodeCache {
  sets: Map<string, CodeSetData>;
  /**
   * One search index per release (system|version): a search reads only the releases it asks for,
   * so more years loaded do not slow a search of one (FY2021 and FY2026 hold the same words).
   */
  indexes: Map<string, SearchIndex>;
  signature: string;
}

/**
 * Code sets change only when someone loads a release, so searches, notes and edits read an
 * in-memory copy (about 100k rows): SQL alone cannot answer a typo-tolerant word search in a few
 * milliseconds on embedded PGlite. The copy is rebuilt when code_set_file changes (checked at most
 * every RECHECK_MS, so a load by another process is picked up too).
 */
const RECHECK_MS = 2000;
const caches = new WeakMap<Db, { cache: Promise<CodeCache>; checkedAt: number }>();

export function invalidateCodeCache(db: Db): void {
  caches.delete(db);
}

export async function getCodeCache(db: Db): Promise<CodeCache> {
  const held = caches.get(db);
  const now = Date.now();
  if (held && now - held.checkedAt < RECHECK_MS) return held.cache;
  if (held) {
    const [cache, signature] = await Promise.all([held.cache, readSignature(db)]);
    if (cache.signature === signature) {
      held.checkedAt = now;
      return cache;
    }
  }
  const cache = buildCache(db);
  caches.set(db, { cache, checkedAt: now });
  cache.catch(() => caches.delete(db));
  return cache;
}

export function setKey(system: string, version: string): string {
  return `${system}|${version}`;
}

async function readSignature(db: Db): Promise<string> {
  const res = await db.query<{ s: string | null }>(
    `SELECT string_agg(system || ':' || version || ':' || part || ':' || sha256, ',' ORDER BY system, version, part) AS s
     FROM code_set_file`,
  );
  return res.rows[0]?.s ?? '';
}

async function buildCache(db: Db): Promise<CodeCache> {
  const signature = await readSignature(db);
  const sets = new Map<string, CodeSetData>();
  const setFor = (system: string, version: string): CodeSetData | undefined => {
    if (!isCodeSystemId(system)) return undefined;
    const k = setKey(system, version);
    let set = sets.get(k);
    if (!set) {
      set = { system, version, byKey: new Map(), chapters: [], sections: [], notes: new Map() };
      sets.set(k, set);
    }
    return set;
  };
  const entries = await db.query<{
    system: string;
    version: string;
    code_key: string;
    code: string;
    display: string;
    billable: boolean;
    kind: string;
    parent_key: string | null;
    valid_from: string | null;
    valid_to: string | null;
  }>(
    `SELECT system, version, code_key, code, display, billable, kind, parent_key,
       to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to
     FROM code_entry ORDER BY system, version, sort_order`,
  );
  const all: CodeRow[] = [];
  for (const r of entries.rows) {
    const set = setFor(r.system, r.version);
    if (!set) continue;
    const row: CodeRow = {
      system: set.system,
      version: r.version,
      key: r.code_key,
      code: r.code,
      display: r.display,
      billable: r.billable,
      kind: r.kind,
      parentKey: r.parent_key,
      validFrom: r.valid_from,
      validTo: r.valid_to,
    };
    set.byKey.set(row.key, row);
    all.push(row);
  }
  const groups = await db.query<{
    system: string;
    version: string;
    level: 'chapter' | 'section';
    group_id: string;
    title: string;
    first_code: string;
    last_code: string;
    parent_id: string | null;
  }>(
    'SELECT system, version, level, group_id, title, first_code, last_code, parent_id FROM code_group ORDER BY sort_order',
  );
  for (const g of groups.rows) {
    const set = setFor(g.system, g.version);
    if (!set) continue;
    const row: GroupRow = {
      level: g.level,
      id: g.group_id,
      title: g.title,
      first: g.first_code,
      last: g.last_code,
      parentId: g.parent_id,
    };
    (g.level === 'chapter' ? set.chapters : set.sections).push(row);
  }
  const notes = await db.query<{
    system: string;
    version: string;
    owner_level: string;
    owner_id: string;
    kind: NoteKind;
    chr: string | null;
    text: string;
  }>(
    'SELECT system, version, owner_level, owner_id, kind, chr, text FROM code_note ORDER BY owner_level, owner_id, kind, seq',
  );
  for (const n of notes.rows) {
    const set = setFor(n.system, n.version);
    if (!set) continue;
    const k = `${n.owner_level}|${n.owner_id}`;
    const list = set.notes.get(k) ?? [];
    list.push({ kind: n.kind, chr: n.chr, text: n.text });
    set.notes.set(k, list);
  }
  borrowHeaderTitles(sets);
  const bySet = new Map<string, CodeRow[]>();
  for (const row of all) {
    const k = setKey(row.system, row.version);
    const list = bySet.get(k);
    if (list) list.push(row);
    else bySet.set(k, [row]);
  }
  const indexes = new Map([...bySet].map(([k, rows]) => [k, new SearchIndex(rows)]));
  return { sets, indexes, signature };
}

/**
 * A codes file lists billable codes only; its headers were added untitled by the loader. Each
 * takes the title the nearest other year of the same system gives it (usually the tabular year).
 */
function borrowHeaderTitles(sets: Map<string, CodeSetData>): void {
  for (const set of sets.values()) {
    const others = [...sets.values()]
      .filter((s) => s.system === set.system && s !== set)
      .sort((a, b) => yearDistance(a.version, set.version) - yearDistance(b.version, set.version));
    for (const row of set.byKey.values()) {
      if (row.display) continue;
      const donor = others.map((o) => o.byKey.get(row.key)).find((r) => r?.display);
      // A placeholder level no other year lists (T36.0X) reads as its parent's title.
      row.display = donor?.display ?? (row.parentKey ? (set.byKey.get(row.parentKey)?.display ?? '') : '');
    }
  }
}

function yearDistance(a: string, b: string): number {
  const d = Math.abs(Number(a) - Number(b));
  // Ties go to the later year (its titles are the ones in use now); non-numeric versions last.
  return Number.isFinite(d) ? d * 2 + (a < b ? 1 : 0) : Number.MAX_SAFE_INTEGER;
}

/**
 * The release to check a date's codes against: the year itself when loaded, else the nearest
 * loaded year (equally near: the later one). `exact` false means the caller must say so.
 */
export function releaseFor(
  cache: CodeCache,
  system: CodeSystemId,
  version: string,
): { set: CodeSetData; exact: boolean } | undefined {
  const exact = cache.sets.get(setKey(system, version));
  if (exact && exact.byKey.size > 0) return { set: exact, exact: true };
  const nearest = [...cache.sets.values()]
    .filter((s) => s.system === system && s.byKey.size > 0)
    .sort((a, b) => yearDistance(a.version, version) - yearDistance(b.version, version))[0];
  return nearest ? { set: nearest, exact: false } : undefined;
}

/**
 * Where a release's notes, sections and chapters come from: the release itself when it has a
 * tabular, else the nearest year that has one (FY2026 codes files carry no notes; FY2021 does).
 */
export function tabularFor(cache: CodeCache, set: CodeSetData): CodeSetData {
  if (set.chapters.length > 0 || set.notes.size > 0) return set;
  const nearest = [...cache.sets.values()]
    .filter((s) => s.system === set.system && (s.chapters.length > 0 || s.notes.size > 0))
    .sort((a, b) => yearDistance(a.version, set.version) - yearDistance(b.version, set.version))[0];
  return nearest ?? set;
}

/** The loaded years of a system in which the key is a billable code, oldest first. */
export function billableIn(cache: CodeCache, system: CodeSystemId, key: string): string[] {
  const out: string[] = [];
  for (const set of cache.sets.values()) {
    if (set.system === system && set.byKey.get(key)?.billable) out.push(set.version);
  }
  return out.sort();
}

/** The newest loaded version of each system (versions are years, so string order works). */
export function latestVersions(cache: CodeCache): Map<CodeSystemId, string> {
  const latest = new Map<CodeSystemId, string>();
  for (const set of cache.sets.values()) {
    const seen = latest.get(set.system);
    if (set.byKey.size > 0 && (!seen || set.version > seen)) latest.set(set.system, set.version);
  }
  return latest;
}
