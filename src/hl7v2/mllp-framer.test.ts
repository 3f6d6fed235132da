import { describe, expect, it } from 'vitest';
import { MllpFramer, mllpFrame } from './mllp-framer.ts';
import type { FrameEvent } from './mllp-framer.ts';

const texts = (events: FrameEvent[]): string[] =>
  events.map((e) => (e.type === 'frame' ? e.data.toString('utf8') : `${e.type}:${e.head.toString('utf8')}`));

describe('MllpFramer', () => {
  it('finds several frames in one packet and ignores bytes between them', () => {
    const framer = new MllpFramer();
    const packet = Buffer.concat([
      Buffer.from('\r\n'),
      mllpFrame('MSH|one'),
      Buffer.from('\n'),
      mllpFrame('MSH|two'),
    ]);
    expect(texts(framer.push(packet))).toEqual(['MSH|one', 'MSH|two']);
  });

  it('joins a frame split at every byte, including between FS and CR', () => {
    const framer = new MllpFramer();
    const bytes = Buffer.concat([mllpFrame('MSH|^~\\&|é'), mllpFrame('MSH|next')]);
    const events: FrameEvent[] = [];
    for (const byte of bytes) events.push(...framer.push(Buffer.from([byte])));
    expect(texts(events)).toEqual(['MSH|^~\\&|é', 'MSH|next']);
    expect(framer.pendingBytes()).toBe(0);
  });

  it('drops an unfinished frame when a new one starts, and on reset', () => {
    const framer = new MllpFramer();
    expect(framer.push(Buffer.from('\x0bMSH|lost'))).toEqual([]);
    expect(framer.pendingBytes()).toBe(8);
    expect(texts(framer.push(mllpFrame('MSH|kept')))).toEqual(['MSH|kept']);
    framer.push(Buffer.from('\x0bMSH|half'));
    framer.reset();
    expect(texts(framer.push(mllpFrame('MSH|after')))).toEqual(['MSH|after']);
  });

  it('reports a frame over the limit once, with its first bytes, and carries on', () => {
    const framer = new MllpFramer(10);
    const events = [
      ...framer.push(Buffer.from('\x0bMSH|0123456789')),
      ...framer.push(Buffer.from('more\x1c\r')),
      ...framer.push(mllpFrame('MSH|ok')),
    ];
    expect(texts(events)).toEqual(['oversize:MSH|0123456789', 'MSH|ok']);
  });

  it('reports bytes sent without the start block once per message, and still finds the frames after them', () => {
    const framer = new MllpFramer();
    const events = [
      ...framer.push(Buffer.from('\r\nMSH|raw one\rPID|1')),
      ...framer.push(Buffer.from('|more of the same\r')),
      ...framer.push(Buffer.from('\x1c\rMSH|raw two\x1c\r')),
      ...framer.push(mllpFrame('MSH|framed')),
    ];
    expect(texts(events)).toEqual(['unframed:MSH|raw one\rPID|1', 'unframed:MSH|raw two', 'MSH|framed']);
  });
});
