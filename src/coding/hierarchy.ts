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
  // Blocks nest (C00-C96 > C00-C75 > C60-C63); a nested block comes later in the file, so the
  // matches in reverse file order run from the narrowest block outwards.
  const sections = set.sections.filter((g) => inRange(g, category)).reverse();
  for (const section of sections) {
    levels.push({
      level: 'section',
      ownerKey: `section|${section.id}`,
      label: section.id,
      name: `section ${section.id}`,
      title: section.title,
    });
  }
  const chapter =
    set.chapters.find((c) => c.id === sections[0]?.parentId) ??
    set.chapters.find((c) => inRange(c, category));
  if (chapter)
    levels.push({
      level: 'chapter',
      ownerKey: `chapter|${chapter.id}`,
      label: chapter.id,
      name: `chapter ${chapter.id}`,
      title: chapter.title,
    });
  return levels;
}

function inRange(group: GroupRow, category: string): boolean {
  return group.first <= category && category <= group.last;
}
