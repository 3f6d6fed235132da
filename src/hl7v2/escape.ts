import type { Hl7Context } from '@medplum/core';

/** The five delimiters a message declares in MSH-1 and MSH-2. */
export interface Hl7Delimiters {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
}

export const DEFAULT_DELIMITERS: Hl7Delimiters = {
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
};

export function delimitersOf(context: Hl7Context): Hl7Delimiters {
  return {
    field: context.fieldSeparator,
    component: context.componentSeparator,
    repetition: context.repetitionSeparator,
    escape: context.escapeCharacter,
    subcomponent: context.subcomponentSeparator,
  };
}

// Formatting escapes (chapter 2.7: .in, .ti, .ce, .fi, .nf) and character-set switches (\C..\, \M..\) and
// locally defined escapes (\Z..\) carry no text of their own; for demographics we drop them.
const DROPPED_ESCAPE = /^(H|N|\.(in|ti)[+-]?\d*|\.(ce|fi|nf)|C[0-9A-Fa-f]{4}|M[0-9A-Fa-f]{6}|Z.*)$/;

/**
 * Decodes the HL7 v2 escape sequences of one leaf value (a component or subcomponent already split
 * on its delimiters): \F\ \S\ \T\ \R\ \E\ become the delimiters they stand for, \Xhh..\ becomes the
 * bytes it spells (read as UTF-8, else Latin-1), \.br\ and \.sp\ become line breaks. An unknown
 * sequence is kept as written so no text is lost.
 */
export function decodeHl7Text(raw: string, d: Hl7Delimiters = DEFAULT_DELIMITERS): string {
  if (!raw.includes(d.escape)) {
    return raw;
  }
  let out = '';
  let pos = 0;
  while (pos < raw.length) {
    const start = raw.indexOf(d.escape, pos);
    const end = start === -1 ? -1 : raw.indexOf(d.escape, start + 1);
    if (start === -1 || end === -1) {
      out += raw.slice(pos);
      break;
    }
    out += raw.slice(pos, start);
    const decoded = decodeSequence(raw.slice(start + 1, end), d);
    if (decoded === undefined) {
      // Not an escape sequence: keep the escape character literally and resume right after it,
      // so a following real sequence is still recognised.
      out += d.escape;
      pos = start + 1;
    } else {
      out += decoded;
      pos = end + 1;
    }
  }
  return out;
}

function decodeSequence(seq: string, d: Hl7Delimiters): string | undefined {
  switch (seq) {
    case 'F':
      return d.field;
    case 'S':
      return d.component;
    case 'T':
      return d.subcomponent;
    case 'R':
      return d.repetition;
    case 'E':
      return d.escape;
    case '.br':
      return '\n';
  }
  if (/^\.sp\d*$/.test(seq)) {
    return '\n'.repeat(Math.max(1, Number(seq.slice(3) || '1')));
  }
  if (/^\.sk\d*$/.test(seq)) {
    return ' '.repeat(Math.max(1, Number(seq.slice(3) || '1')));
  }
  if (/^X([0-9A-Fa-f]{2})+$/.test(seq)) {
    return decodeHexBytes(seq.slice(1));
  }
  if (DROPPED_ESCAPE.test(seq)) {
    return '';
  }
  return undefined;
}

function decodeHexBytes(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Not valid UTF-8: older senders spell Latin-1 bytes this way.
    return bytes.toString('latin1');
  }
}

/** Escapes text for use as one leaf value in a message using the delimiters `d`. */
export function encodeHl7Text(text: string, d: Hl7Delimiters = DEFAULT_DELIMITERS): string {
  const table = new Map<string, string>([
    [d.escape, `${d.escape}E${d.escape}`],
    [d.field, `${d.escape}F${d.escape}`],
    [d.component, `${d.escape}S${d.escape}`],
    [d.subcomponent, `${d.escape}T${d.escape}`],
    [d.repetition, `${d.escape}R${d.escape}`],
  ]);
  let out = '';
  for (const ch of text.replace(/\r\n|\r|\n/g, '\n')) {
    // A raw CR would end the segment; a line break is spelled \.br\ instead.
    out += ch === '\n' ? `${d.escape}.br${d.escape}` : (table.get(ch) ?? ch);
  }
  return out;
}
