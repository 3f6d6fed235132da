import sax from 'sax';
import { codeKey } from '../systems.ts';
import { NOTE_KINDS, type NoteKind } from '../types.ts';
import type { GroupRecord, NoteRecord } from './records.ts';

interface Owner {
  level: 'chapter' | 'section' | 'code';
  id: string;
}

/**
 * Streams the ICD-10-CM Tabular List XML into chapters, sections and every instructional note,
 * each note attached to the chapter, section or code it is printed under. Codes themselves come
 * from the order file; the tabular adds the hierarchy above categories and the notes.
 */
export function parseTabularXml(xml: string): {
  version: string | null;
  groups: GroupRecord[];
  notes: NoteRecord[];
} {
  const parser = sax.parser(true, { trim: false });
  const groups: GroupRecord[] = [];
  const notes: NoteRecord[] = [];
  const owners: Owner[] = [];
  const path: string[] = [];
  const seqs = new Map<string, number>();
  let text = '';
  let version: string | null = null;
  let chapter: GroupRecord | undefined;
  let pendingSection: GroupRecord | undefined;
  let noteKind: NoteKind | undefined;
  let extensionChr: string | null = null;

  const owner = (): Owner | undefined => owners[owners.length - 1];
  const addNote = (kind: NoteKind, body: string, chr: string | null): void => {
    const o = owner();
    const clean = body.replace(/\s+/g, ' ').trim();
    if (!o || !clean) return;
    const seqKey = `${o.level}|${o.id}|${kind}`;
    const seq = (seqs.get(seqKey) ?? 0) + 1;
    seqs.set(seqKey, seq);
    notes.push({ ownerLevel: o.level, ownerId: o.id, kind, seq, chr, text: clean });
  };

  parser.onopentag = (tag) => {
    path.push(tag.name);
    text = '';
    if (tag.name === 'chapter') {
      chapter = {
        level: 'chapter',
        id: '',
        title: '',
        first: '',
        last: '',
        parentId: null,
        order: groups.length + 1,
      };
      groups.push(chapter);
      owners.push({ level: 'chapter', id: '' });
    } else if (tag.name === 'section') {
      const id = attribute(tag, 'id');
      const [first = id, last = first] = id.split('-');
      pendingSection = {
        level: 'section',
        id,
        title: '',
        first,
        last,
        parentId: chapter?.id ?? null,
        order: groups.length + 1,
      };
      groups.push(pendingSection);
      owners.push({ level: 'section', id });
    } else if (tag.name === 'diag') {
      owners.push({ level: 'code', id: '' });
    } else if ((NOTE_KINDS as readonly string[]).includes(tag.name) && owners.length > 0) {
      noteKind = tag.name as NoteKind;
    } else if (tag.name === 'extension') {
      extensionChr = attribute(tag, 'char') || null;
    }
  };
  parser.ontext = (t) => {
    text += t;
  };
  parser.oncdata = (t) => {
    text += t;
  };
  parser.onclosetag = (name) => {
    path.pop();
    const parentTag = path[path.length - 1];
    const o = owner();
    if (name === 'version' && parentTag === 'ICD10CM.tabular') version = text.trim();
    else if (name === 'name' && parentTag === 'chapter' && chapter && o) {
      chapter.id = text.trim();
      o.id = chapter.id;
    } else if (name === 'desc' && parentTag === 'chapter' && chapter) {
      chapter.title = text.trim();
      const range = /\(([A-Z0-9]{3})-([A-Z0-9]{3})\)\s*$/.exec(chapter.title);
      chapter.first = range?.[1] ?? '';
      chapter.last = range?.[2] ?? '';
    } else if (name === 'desc' && parentTag === 'section' && pendingSection) {
      pendingSection.title = text.trim();
    } else if (name === 'name' && parentTag === 'diag' && o) {
      o.id = codeKey(text);
    } else if (name === 'note' && noteKind && parentTag === noteKind) {
      // Inside sevenChrDef a bare <note> continues a definition: kept as text without a character.
      addNote(noteKind, text, null);
    } else if (name === 'extension' && noteKind === 'sevenChrDef') {
      addNote('sevenChrDef', text, extensionChr);
      extensionChr = null;
    } else if (noteKind && name === noteKind) {
      noteKind = undefined;
    } else if (name === 'chapter' || name === 'section' || name === 'diag') {
      owners.pop();
    }
    text = '';
  };
  parser.write(xml).close();
  return { version, groups, notes };
}

/** sax gives plain strings for attributes in non-namespace mode. */
function attribute(tag: sax.Tag | sax.QualifiedTag, name: string): string {
  const value = tag.attributes[name];
  return typeof value === 'string' ? value : (value?.value ?? '');
}
