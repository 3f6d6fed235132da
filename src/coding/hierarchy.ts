import type { CodeSetData, GroupRow } from './cache.ts';
import { formatCode } from './systems.ts';
import type { NoteLevel } from './types.ts';

/** One level a code sits in, nearest first: the code, its parents, category, section, chapter. */
export interface Level {
  level: NoteLevel;
  /** The note owner key in CodeSetData.notes. */
  ownerKey: string;
  /** How the level is shown: a code (E11.6), a section range (E08-E13) or a chapter number. */
  label: string;
  /** For messages: "chapter 15", "section O00-O08", "category E11", "code E11.6". */
  name: string;
  title: string;
}

/**
 * The levels above a code, nearest first. Walks shorter prefixes of the key (S72001A -> S72001 ->
 * S7200 -> S720 -> S72), so codes that exist only with a 7th character still find their notes,
 * then the section (block) and chapter whose range holds the category.
 */
export function levelsOf(set: CodeSetData, key: string): Level[] {
  const levels: Level[] = [];
  for (let n = key.length; n >= 3; n--) {
    const prefix = key.slice(0, n);
    const row = set.byKey.get(prefix);
    if (!row && !set.notes.has(`code|${prefix}`)) continue;
    levels.push({
      level: n === 3 ? 'category' : 'code',
      ownerKey: `code|${prefix}`,
      label: formatCode(set.system, prefix),
      name: `${n === 3 ? 'category' : 'code'} ${formatCode(set.system, prefix)}`,
      title: row?.display ?? '',
    });
  }
  const category = key.slice(0, 3);
  const section = findGroup(set.sections, category);
  if (section) levels.push({ level: 'section', ownerKey: `section|${section.id}`, label: section.id, name: `section ${section.id}`, title: section.title });
  const chapter = set.chapters.find((c) => c.id === section?.parentId) ?? findGroup(set.chapters, category);
  if (chapter) levels.push({ level: 'chapter', ownerKey: `chapter|${chapter.id}`, label: chapter.id, name: `chapter ${chapter.id}`, title: chapter.title });
  return levels;
}

function findGroup(groups: GroupRow[], category: string): GroupRow | undefined {
  return groups.find((g) => g.first <= category && category <= g.last);
}
