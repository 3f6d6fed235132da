/**
 * The messages that run a kept statement (Bind, Execute, Sync of PostgreSQL's extended query
 * protocol), as one buffer. PGlite's own writer (protocol.serialize.bind) took 11 us a statement
 * even for two short values, every private field read through a WeakMap and two buffers
 * allocated per message: a read runs two statements, and the writer was a tenth of the read's
 * JavaScript. The layout is the protocol's (and the writer's, which pglite-bind.test.ts holds
 * equal): portal and statement names, the values' format codes (all text), the values each with
 * its UTF-8 length (-1 for NULL), no result format codes (all columns as text). Node measures and
 * encodes the text natively, which matters for the documents of a bulk write (megabytes a bundle).
 */
export type BindValue = string | null;

/** Execute (unnamed portal, every row) then Sync: the same bytes for every statement. */
const EXECUTE_SYNC = Buffer.from([69, 0, 0, 0, 9, 0, 0, 0, 0, 0, 83, 0, 0, 0, 4]);

export function bindExecuteSync(statement: string, values: readonly BindValue[]): Uint8Array {
  const nameBytes = Buffer.byteLength(statement);
  let length = 4 + 1 + nameBytes + 1 + 2 + 2 * values.length + 2 + 2;
  for (const value of values) length += 4 + (value === null ? 0 : Buffer.byteLength(value));
  const out = Buffer.allocUnsafe(1 + length + EXECUTE_SYNC.length);
  let at = out.writeUInt8(66, 0); // 'B'
  at = out.writeInt32BE(length, at);
  at = out.writeUInt8(0, at); // the unnamed portal
  at += out.write(statement, at);
  at = out.writeUInt8(0, at);
  at = out.writeInt16BE(values.length, at);
  for (let i = 0; i < values.length; i++) at = out.writeInt16BE(0, at);
  at = out.writeInt16BE(values.length, at);
  for (const value of values) {
    if (value === null) {
      at = out.writeInt32BE(-1, at);
    } else {
      const bytes = out.write(value, at + 4);
      out.writeInt32BE(bytes, at);
      at += 4 + bytes;
    }
  }
  at = out.writeInt16BE(0, at);
  EXECUTE_SYNC.copy(out, at);
  return out;
}
