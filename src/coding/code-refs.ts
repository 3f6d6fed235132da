import { codeKey } from './systems.ts';

/** A code reference inside note text: a code and everything below it, or a range of categories. */
export type CodeRef = { kind: 'code'; key: string } | { kind: 'range'; first: string; last: string };

const CODE = String.raw`[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{0,4})?-?`;
const ITEM = new RegExp(String.raw`^(${CODE})(?:\s*-\s*(${CODE}))?$`);

/**
 * Parses the code references printed in parentheses in a tabular note, e.g.
 * "type 1 diabetes mellitus (E10.-)", "(O31.1-, O31.3-)", "(E08-E13)", "(D29.1)".
 */
export function parseCodeRefs(text: string): CodeRef[] {
  const refs: CodeRef[] = [];
  for (const group of text.matchAll(/\(([^()]*)\)/g)) {
    for (const part of (group[1] ?? '').split(/,|\band\b/)) {
      const m = ITEM.exec(part.trim());
      if (!m?.[1]) continue;
      const first = trimRef(m[1]);
      if (m[2]) refs.push({ kind: 'range', first, last: trimRef(m[2]) });
      else refs.push({ kind: 'code', key: first });
    }
  }
  return refs;
}

/** True when the code (key without dot) falls under the reference. */
export function refCovers(ref: CodeRef, key: string): boolean {
  if (ref.kind === 'code') return key.startsWith(ref.key);
  const part = key.slice(0, ref.first.length);
  const lastPart = key.slice(0, ref.last.length);
  return part >= ref.first && lastPart <= ref.last;
}

function trimRef(ref: string): string {
  return codeKey(ref.replace(/[.-]+$/, ''));
}
