import type { Db } from '../db/index.ts';
import { getCodeCache, latestVersions, setKey, tabularFor, type CodeSetData } from './cache.ts';
import { levelsOf } from './hierarchy.ts';
import { codeKey, type CodeSystemId } from './systems.ts';
import type { CodeNote, NoteKind } from './types.ts';

/**
 * The tabular notes that apply to a code: its own and those inherited from every level above it
 * (code, category, section, chapter), nearest level first, each tagged with where it is printed.
 */
export async function codeNotes(
  db: Db,
  system: CodeSystemId,
  code: string,
  fy?: string,
): Promise<CodeNote[]> {
  const cache = await getCodeCache(db);
  const version = fy ?? latestVersions(cache).get(system);
  const set = version ? cache.sets.get(setKey(system, version)) : undefined;
  return set ? notesFor(tabularFor(cache, set), codeKey(code)) : [];
}

export function notesFor(set: CodeSetData, key: string, kinds?: readonly NoteKind[]): CodeNote[] {
  const out: CodeNote[] = [];
  for (const level of levelsOf(set, key)) {
    for (const note of set.notes.get(level.ownerKey) ?? []) {
      if (kinds && !kinds.includes(note.kind)) continue;
      out.push({
        kind: note.kind,
        text: note.text,
        ...(note.chr ? { chr: note.chr } : {}),
        level: level.level,
        from: level.label,
      });
    }
  }
  return out;
}

/**
 * The 7th-character definitions in force for a code: those of the nearest level that has any
 * (a subcategory may redefine its category's list).
 */
export function seventhCharacters(
  set: CodeSetData,
  key: string,
): { from: string; chars: Map<string, string> } | undefined {
  for (const level of levelsOf(set, key)) {
    const defs = (set.notes.get(level.ownerKey) ?? []).filter((n) => n.kind === 'sevenChrDef' && n.chr);
    if (defs.length > 0) return { from: level.name, chars: new Map(defs.map((d) => [d.chr!, d.text])) };
  }
  return undefined;
}
