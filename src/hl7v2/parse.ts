import { Hl7Message } from '@medplum/core';
import type { Hl7Field, Hl7Segment } from '@medplum/core';

export type ParseResult = { ok: true; message: Hl7Message } | { ok: false; reason: string };

const SEGMENT_NAME = /^[A-Z][A-Z0-9]{2}$/;

/**
 * Parses the text of one HL7 v2 message with @medplum/core's `Hl7Message`, after the tolerances real
 * feeds need: a leading UTF-8 byte-order mark, segments ended by CR, LF or CRLF, blank lines and
 * trailing whitespace between segments. Fails (never throws) when the text cannot be an HL7 message:
 * no MSH first, unusable encoding characters, or a line that is not a segment.
 */
export function parseHl7Message(text: string): ParseResult {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/\s+$/, ''))
    .filter((line) => line !== '');
  const first = lines[0];
  if (first === undefined) {
    return { ok: false, reason: 'empty message' };
  }
  const problem = checkMsh(first);
  if (problem) {
    return { ok: false, reason: problem };
  }
  const fieldSeparator = first.charAt(3);
  for (const [index, line] of lines.entries()) {
    const name = line.split(fieldSeparator, 1)[0] ?? '';
    if (!SEGMENT_NAME.test(name)) {
      return { ok: false, reason: `line ${index + 1} is not an HL7 segment (starts "${line.slice(0, 12)}")` };
    }
  }
  try {
    return { ok: true, message: Hl7Message.parse(lines.join('\r')) };
  } catch (err) {
    return { ok: false, reason: `unparseable message: ${(err as Error).message}` };
  }
}

function checkMsh(line: string): string | undefined {
  if (!line.startsWith('MSH')) {
    return 'message does not start with an MSH segment';
  }
  if (line.length < 8) {
    return 'MSH segment too short to declare its encoding characters';
  }
  const delimiters = line.slice(3, 8).split('');
  if (new Set(delimiters).size !== 5 || delimiters.some((c) => /[A-Za-z0-9\s]/.test(c))) {
    return `MSH declares unusable encoding characters "${line.slice(3, 8)}"`;
  }
  return undefined;
}

/**
 * A field of a segment, or undefined when the segment is shorter. (`Hl7Segment.getField` is typed as
 * always returning a field but returns undefined past the end.)
 */
export function fieldOf(segment: Hl7Segment, index: number): Hl7Field | undefined {
  return segment.getField(index);
}

/** The repetitions of a field as raw component arrays, skipping empty repetitions. */
export function repetitionsOf(segment: Hl7Segment, index: number): string[][] {
  const field = fieldOf(segment, index);
  if (!field) {
    return [];
  }
  return field.components.filter((components) => components.some((c) => c.trim() !== ''));
}
