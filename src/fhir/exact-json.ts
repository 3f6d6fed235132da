import { parse as parseLossless } from 'lossless-json';

/**
 * Decimals kept as they were written (issue #14 item 4). FHIR gives a decimal's precision meaning
 * (a lab value of 1.50 is not 1.5), JSON.parse keeps only the value, and PostgreSQL's jsonb
 * rewrites 1E-22 as a long decimal. A number whose text is not what JavaScript writes for its
 * value is remembered beside the object holding it (under a symbol: JSON, Object.keys and the
 * validator never see it, and an object spread carries it along), and the resource holding it
 * is marked, so the store keeps that resource's exact text and answers it.
 */

/** On an object or list: its members' original number texts, by key or index. */
const NUMBER_TEXTS = Symbol('number texts');
/** On a resource: it holds a number whose text is not JavaScript's (anywhere inside). */
const HOLDS_EXACT = Symbol('holds exact numbers');

type Annotated = Record<string | symbol, unknown> & {
  [NUMBER_TEXTS]?: Record<string, string>;
  [HOLDS_EXACT]?: true;
};

/**
 * JSON.parse, with the original text of each number JavaScript would write differently. The
 * numbers of the text are matched, in order, to those of the parsed value (JSON.parse keeps the
 * members' order); should they not line up (duplicate or numeric keys), the text is parsed again
 * by lossless-json, which keeps every number's text.
 */
export function parseExact(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (!/\d[.eE]/.test(text)) return value;
  const numbers = inexactNumbers(text);
  if (numbers.texts.size === 0) return value;
  if (annotateInOrder(value, numbers)) return value;
  const lossless = parseLossless(text, null, {
    parseNumber: (t: string) => new NumberText(t),
    onDuplicateKey: ({ newValue }) => newValue, // as JSON.parse: the last one stands
  });
  return withNumbers(lossless, []);
}

/** Whether a stored or parsed resource carries number texts of its own. */
export function holdsExactNumbers(resource: object): boolean {
  return (resource as Annotated)[HOLDS_EXACT] === true;
}

/**
 * The JSON text of a value, each remembered number written as it was sent when its value is
 * unchanged. Only values holding marked resources take the slower path.
 */
export function stringifyExact(value: unknown): string {
  if (!needsExact(value)) return JSON.stringify(value);
  const text = JSON.stringify(value, exactReplacer);
  return text.replace(/"\\u0000([-+.\deE]+)"/g, '$1');
}

/** A resource read back from its stored exact text, or the parsed jsonb when none was kept. */
export function storedResource<T>(exactText: string | null | undefined, parsed: T): T {
  return exactText ? (parseExact(exactText) as T) : parsed;
}

class NumberText {
  constructor(readonly text: string) {}
}

interface NumberTexts {
  /** By the number's place among the text's numbers: its text, where JavaScript's differs. */
  texts: Map<number, string>;
  count: number;
}

/**
 * The numbers of a JSON text (valid: JSON.parse took it), strings skipped with indexOf. A regular
 * expression over strings overflows V8's stack on a long string with escapes.
 */
function inexactNumbers(text: string): NumberTexts {
  const texts = new Map<number, string>();
  let count = 0;
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      i = endOfString(text, i) + 1;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      let end = i + 1;
      while (end < text.length && isNumberChar(text.charCodeAt(end))) end += 1;
      const t = text.slice(i, end);
      if (String(Number(t)) !== t) texts.set(count, t);
      count += 1;
      i = end;
    } else i += 1;
  }
  return { texts, count };
}

/** The index of the quote closing the string that opens at `start`. */
function endOfString(text: string, start: number): number {
  for (let q = text.indexOf('"', start + 1); q !== -1; q = text.indexOf('"', q + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === 92) backslashes += 1;
    if (backslashes % 2 === 0) return q;
  }
  return text.length;
}

/** Digits, '.', 'e', 'E', '+', '-'. */
function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;
}

interface Frame {
  node: Annotated;
  keys: string[];
  next: number;
  isResource: boolean;
}

/** Notes the texts on the parsed value, visiting its numbers in text order (no recursion: depth is checked later). */
function annotateInOrder(root: unknown, numbers: NumberTexts): boolean {
  if (!root || typeof root !== 'object') return false;
  const frames: Frame[] = [];
  const resources: Annotated[] = [];
  const enter = (value: object): void => {
    const node = value as Annotated;
    const isResource = !Array.isArray(value) && typeof node.resourceType === 'string';
    if (isResource) resources.push(node);
    const keys = Array.isArray(value) ? Array.from(value.keys(), String) : Object.keys(node);
    frames.push({ node, keys, next: 0, isResource });
  };
  let ordinal = 0;
  enter(root);
  for (let frame = frames.at(-1); frame; frame = frames.at(-1)) {
    const key = frame.keys[frame.next];
    frame.next += 1;
    if (key === undefined) {
      frames.pop();
      if (frame.isResource) resources.pop();
      continue;
    }
    const member = frame.node[key];
    if (typeof member === 'number') {
      const text = numbers.texts.get(ordinal);
      ordinal += 1;
      if (text === undefined) continue;
      if (Number(text) !== member) return false;
      (frame.node[NUMBER_TEXTS] ??= {})[key] = text;
      for (const r of resources) r[HOLDS_EXACT] = true;
    } else if (member && typeof member === 'object') enter(member);
  }
  return ordinal === numbers.count;
}

/** Replaces each NumberText by its number, noting the texts that differ; marks the resources holding them. */
function withNumbers(value: unknown, resources: Annotated[]): unknown {
  if (value instanceof NumberText) return Number(value.text);
  if (!value || typeof value !== 'object') return value;
  const node = value as Annotated;
  const isResource = typeof node.resourceType === 'string' && !Array.isArray(value);
  if (isResource) resources.push(node);
  const keys = Array.isArray(value) ? value.map((_, i) => String(i)) : Object.keys(node);
  for (const key of keys) {
    const member = node[key];
    if (member instanceof NumberText) {
      const n = Number(member.text);
      node[key] = n;
      if (String(n) !== member.text) {
        (node[NUMBER_TEXTS] ??= {})[key] = member.text;
        for (const r of resources) r[HOLDS_EXACT] = true;
      }
    } else if (member && typeof member === 'object') node[key] = withNumbers(member, resources);
  }
  if (isResource) resources.pop();
  return value;
}

function needsExact(value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  const v = value as Annotated & { entry?: Array<{ resource?: object }> };
  if (v[HOLDS_EXACT]) return true;
  return Array.isArray(v.entry) && v.entry.some((e) => !!e?.resource && needsExact(e.resource));
}

/** A NUL never reaches a stored string (json-shape.ts refuses it), so `"\u0000<digits>"` marks a number. */
function exactReplacer(this: unknown, _key: string, value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const texts = (value as Annotated)[NUMBER_TEXTS];
  if (!texts) return value;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value)
    ? [...(value as unknown[])]
    : { ...value };
  for (const [key, text] of Object.entries(texts)) {
    const current = (value as Record<string, unknown>)[key];
    if (typeof current === 'number' && Number(text) === current)
      (copy as Record<string, unknown>)[key] = `\u0000${text}`;
  }
  return copy;
}
