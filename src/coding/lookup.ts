import type { Db } from '../db/index.ts';
import { getCodeCache, latestVersions, setKey } from './cache.ts';
import { levelsOf } from './hierarchy.ts';
import { toHit } from './search.ts';
import { codeKey, type CodeSystemId } from './systems.ts';
import type { CodeHit } from './types.ts';

export interface CodeDetail extends CodeHit {
  /** The levels above the code, nearest first (category, section, chapter). */
  hierarchy: Array<{ level: string; code: string; title: string }>;
}

/** One code with its inherited notes and where it sits, or undefined when not loaded. */
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
  const hierarchy = levelsOf(set, row.key)
    .slice(1)
    .map((l) => ({ level: l.level, code: l.label, title: l.title }));
  return { ...toHit(cache, row), hierarchy };
}
