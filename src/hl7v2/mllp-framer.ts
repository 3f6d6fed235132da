/** MLLP frame bytes: <VT> message <FS><CR>. */
export const VT = 0x0b;
export const FS = 0x1c;
export const CR = 0x0d;
/** Bytes a sender may leave between frames: line ends and spaces. */
const BLANK: ReadonlySet<number> = new Set([CR, 0x0a, 0x09, 0x20]);

export type FrameEvent =
  | { type: 'frame'; data: Buffer }
  /** A frame longer than the limit was dropped; `head` is its first bytes, for a NAK. */
  | { type: 'oversize'; head: Buffer }
  /**
   * Bytes outside a frame that are not blank: a message sent without the start block. Reported
   * once per such message (up to an end block or the next start block); `head` is its first
   * bytes, for a NAK.
   */
  | { type: 'unframed'; head: Buffer };

/** Wraps message text in an MLLP frame. */
export function mllpFrame(text: string): Buffer {
  return Buffer.concat([Buffer.from([VT]), Buffer.from(text, 'utf8'), Buffer.from([FS, CR])]);
}

/**
 * Splits a TCP byte stream into MLLP frames, whatever the packet boundaries: a frame split across
 * packets, several frames in one packet, blank bytes between frames (stray CR/LF) all work; other
 * bytes outside a frame are reported as `unframed`, so the sender can be told. A start byte
 * inside an unfinished frame means the sender gave up on it and began again: the partial frame is
 * dropped. A frame above `maxBytes` is dropped and reported, so one sender cannot exhaust memory.
 * (@medplum/hl7's Hl7Connection only looks for the end bytes at the end of each packet, which
 * merges frames that share a packet, and keeps the bytes of a frame it failed to parse.)
 */
export class MllpFramer {
  private parts: Buffer[] = [];
  private size = 0;
  /** `unframed`: outside a frame, in bytes already reported, until an end or start block. */
  private state: 'between' | 'unframed' | 'inFrame' | 'skipping' = 'between';
  private head: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes = 16 * 1024 * 1024) {}

  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.state === 'between' || this.state === 'unframed') {
        const start = chunk.indexOf(VT, pos);
        this.skipUnframed(chunk, pos, start === -1 ? chunk.length : start, events);
        if (start === -1) return events;
        this.begin();
        pos = start + 1;
        continue;
      }
      const end = chunk.indexOf(FS, pos);
      const restart = chunk.indexOf(VT, pos);
      if (restart !== -1 && (end === -1 || restart < end)) {
        this.begin();
        pos = restart + 1;
        continue;
      }
      const stop = end === -1 ? chunk.length : end;
      if (this.state === 'inFrame') {
        this.append(chunk.subarray(pos, stop));
      }
      if (end === -1) return events;
      events.push(
        this.state === 'inFrame'
          ? { type: 'frame', data: Buffer.concat(this.parts, this.size) }
          : { type: 'oversize', head: this.head },
      );
      this.reset();
      // The CR after FS may arrive in the next packet; then it is a stray byte between frames.
      pos = chunk[end + 1] === CR ? end + 2 : end + 1;
    }
    return events;
  }

  /** Bytes of an unfinished frame held so far. */
  pendingBytes(): number {
    return this.state === 'inFrame' ? this.size : 0;
  }

  /** Forgets a partial frame (the connection closed mid-frame). */
  reset(): void {
    this.parts = [];
    this.size = 0;
    this.head = Buffer.alloc(0);
    this.state = 'between';
  }

  /** Reads the bytes outside a frame in [from, to): reports each message sent without a start block. */
  private skipUnframed(chunk: Buffer, from: number, to: number, events: FrameEvent[]): void {
    for (let i = from; i < to; i += 1) {
      const byte = chunk[i] ?? 0;
      if (byte === FS) this.state = 'between';
      else if (this.state === 'between' && !BLANK.has(byte)) {
        this.state = 'unframed';
        const end = chunk.indexOf(FS, i);
        const stop = Math.min(end === -1 || end > to ? to : end, i + 4096);
        events.push({ type: 'unframed', head: Buffer.from(chunk.subarray(i, stop)) });
      }
    }
  }

  private begin(): void {
    this.reset();
    this.state = 'inFrame';
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.parts.push(bytes);
    this.size += bytes.length;
    if (this.size > this.maxBytes) {
      this.head = Buffer.concat(this.parts, this.size).subarray(0, 4096);
      this.parts = [];
      this.size = 0;
      this.state = 'skipping';
    }
  }
}
