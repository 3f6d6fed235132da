import { badRequest } from '../outcomes.ts';
import type { Cursor } from './types.ts';

/** The cursor is the last row's sort values plus its id, as base64url JSON: opaque to clients. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.values, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [values, id] = parsed as [unknown, unknown];
      if (
        typeof id === 'string' &&
        Array.isArray(values) &&
        values.every((v) => v === null || typeof v === 'string')
      ) {
        return { values: values as Array<string | null>, id };
      }
    }
  } catch {
    // fall through to the 400 below
  }
  throw badRequest('Invalid _cursor');
}
