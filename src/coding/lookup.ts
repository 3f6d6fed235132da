import type { Db } from '../db/index.ts';
import { getCodeCache, latestVersions, setKey, tabularFor, type CodeSetData } from './cache.ts';
import { levelsOf } from './hierarchy.ts';
import { toHit } from './search.ts';
import { codeKey, type CodeSystemId } from './systems.ts';
import type { CodeHit, CodeRow } from './types.ts';

export interface CodeDetail extends CodeHit {
  /** The levels above the code, nearest first (category, section, chapter). */
  hierarchy: Array<{ level: string; code: string; title: string }>;
  /** The codes one level below (a category's subcategories, a subcategory's codes), in tabular order. */
  children: Array<{ code: string; display: string; billable: boolean }>;
}

/** One code with its inherited notes, where it sits and what is below it; undefined when not loaded. */
export async function lookupCode(
  db: Db,
  system: CodeSystemId,
  code: string,
  fy?: string,
): Promise<CodeDetail | undefined> {
  const cache = await getCodeCache(db);
  const version = fy ?? latestVersions(cache).get(system);
  const set = version ? cache.sets.get(setKey(system, version)) : undefined;
  const row = set?.byKey.get(codeKey(code));
  if (!set || !row) return undefined;
  const hierarchy = levelsOf(tabularFor(cache, set), row.key)
    .slice(1)
    .map((l) => ({ level: l.level, code: l.label, title: l.title }));
  return { ...toHit(cache, row), hierarchy, children: childrenOf(set, row) };
}

function childrenOf(set: CodeSetData, parent: CodeRow): CodeDetail['children'] {
  const out: CodeDetail['children'] = [];
  for (const r of set.byKey.values()) {
    if (r.parentKey === parent.key) out.push({ code: r.code, display: r.display, billable: r.billable });
  }
  return out;
}
