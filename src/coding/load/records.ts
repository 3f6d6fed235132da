import type { CodeSystemId } from '../systems.ts';
import type { NoteKind } from '../types.ts';

/** One code or header row, ready for code_entry. */
export interface EntryRecord {
  key: string;
  code: string;
  display: string;
  shortDisplay: string | null;
  billable: boolean;
  kind: 'category' | 'code' | 'table' | 'modifier';
  parentKey: string | null;
  order: number;
  validFrom: string | null;
  validTo: string | null;
}

/** A chapter or section (block) of a tabular list. */
export interface GroupRecord {
  level: 'chapter' | 'section';
  id: string;
  title: string;
  first: string;
  last: string;
  parentId: string | null;
  order: number;
}

export interface NoteRecord {
  ownerLevel: 'chapter' | 'section' | 'code';
  ownerId: string;
  kind: NoteKind;
  seq: number;
  chr: string | null;
  text: string;
}

/** What one release file contributes; `part` names the slice of (system, version) it replaces. */
export type ParsedFile =
  | { part: 'entries'; system: CodeSystemId; version: string; entries: EntryRecord[] }
  | { part: 'tabular'; system: CodeSystemId; version: string; groups: GroupRecord[]; notes: NoteRecord[] };

/** Parent = the longest shorter key already seen (tabular order lists parents first). */
export function parentOf(key: string, seen: ReadonlySet<string>): string | null {
  for (let n = key.length - 1; n >= 3; n--) {
    const prefix = key.slice(0, n);
    if (seen.has(prefix)) return prefix;
  }
  return null;
}
