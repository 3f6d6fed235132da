import { protocol } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { bindExecuteSync, type BindValue } from './pglite-bind.ts';

const wire = protocol.serialize;

/** What PGlite's own writer sends for the same statement and values. */
function pgliteBytes(statement: string, values: BindValue[]): Uint8Array {
  return Buffer.concat([wire.bind({ statement, values }), wire.execute({}), wire.sync()]);
}

describe('bindExecuteSync', () => {
  const cases: Array<[string, BindValue[]]> = [
    ['no values', []],
    ['short text', ['Patient', 'bench-42']],
    ['NULL among values', ['a', null, 'c', null]],
    ['empty text', ['']],
    ['text beyond ASCII', ['Zoë Ångström', '患者', 'emoji 🩺 in a note']],
    ['a long document', ['x'.repeat(70_000)]],
  ];
  for (const [name, values] of cases) {
    it(`writes what PGlite's writer writes: ${name}`, () => {
      expect(Buffer.from(bindExecuteSync('custodian_7', values))).toEqual(
        Buffer.from(pgliteBytes('custodian_7', values)),
      );
    });
  }

  it('writes a statement name beyond ASCII by its UTF-8 length', () => {
    expect(Buffer.from(bindExecuteSync('statement_é', ['v']))).toEqual(
      Buffer.from(pgliteBytes('statement_é', ['v'])),
    );
  });
});
