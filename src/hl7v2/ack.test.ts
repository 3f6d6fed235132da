import type { Hl7Message } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { ackText, buildAck, buildNak } from './ack.ts';
import { parseHl7Message } from './parse.ts';

const A01 = [
  'MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|GHH LAB, INC.|GOOD HEALTH HOSPITAL|198808181126|SECURITY|ADT^A01^ADT_A01|MSG00001|T|2.5',
  'EVN|A01|200708181123',
  'PID|1||PATID1234^5^M11^ADT1^MR||EVERYMAN^ADAM',
].join('\r');

function parse(text: string): Hl7Message {
  const result = parseHl7Message(text);
  if (!result.ok) throw new Error(result.reason);
  return result.message;
}

describe('buildAck', () => {
  it('AA: swaps sender and receiver, echoes the control id, mirrors the trigger, version and processing id', () => {
    const ack = buildAck(parse(A01), 'AA');
    const msh = ack.getSegment('MSH')!;
    expect(msh.getField(3).toString()).toBe('GHH LAB, INC.');
    expect(msh.getField(4).toString()).toBe('GOOD HEALTH HOSPITAL');
    expect(msh.getField(5).toString()).toBe('ADT1');
    expect(msh.getField(9).toString()).toBe('ACK^A01^ACK');
    expect(msh.getField(11).toString()).toBe('T');
    expect(msh.getField(12).toString()).toBe('2.5');
    expect(msh.getField(7).toString()).toMatch(/^\d{14}\+0000$/);
    expect(msh.getField(10).toString()).toMatch(/^[0-9a-f]{20}$/);
    expect(ack.getSegment('MSA')!.toString()).toBe('MSA|AA|MSG00001|OK');
    expect(ack.getSegment('ERR')).toBeUndefined();
  });

  it('gives every ACK its own control id', () => {
    const ids = new Set(
      Array.from({ length: 50 }, () => buildAck(parse(A01), 'AA').getSegment('MSH')!.getField(10).toString()),
    );
    expect(ids.size).toBe(50);
  });

  it('AE: the reason, escaped, in MSA-3 and ERR with the table 0357 code and location', () => {
    const ack = buildAck(parse(A01), 'AE', 'PID-3 | missing & more', {
      errorCode: '101',
      location: { segment: 'PID', sequence: 1, field: 3 },
    });
    expect(ack.getSegment('MSA')!.toString()).toBe('MSA|AE|MSG00001|PID-3 \\F\\ missing \\T\\ more');
    expect(ack.getSegment('ERR')!.toString()).toBe(
      'ERR||PID^1^3|101^Required field missing^HL70357|E||||PID-3 \\F\\ missing \\T\\ more',
    );
    // The wire form ends every segment with CR and parses back.
    const wire = ackText(ack);
    expect(wire.endsWith('\r')).toBe(true);
    expect(
      wire
        .split('\r')
        .filter(Boolean)
        .map((s) => s.slice(0, 3)),
    ).toEqual(['MSH', 'MSA', 'ERR']);
  });

  it('AR defaults to error 200 and shortens a long reason to one line', () => {
    const ack = buildAck(parse(A01), 'AR', `first line\n${'x'.repeat(400)}`);
    const text = ack.getSegment('MSA')!.getField(3).toString();
    expect(text.startsWith('first line xxx')).toBe(true);
    expect(text.length).toBe(250);
    expect(ack.getSegment('ERR')!.getField(3).toString()).toBe('200^Unsupported message type^HL70357');
  });

  it('names us in MSH-3 when the sender left MSH-5 empty', () => {
    const ack = buildAck(parse('MSH|^~\\&|REDOX|RDX|||20190504181205||ADT^A04|1270326314|T|2.3'), 'AA');
    expect(ack.getSegment('MSH')!.getField(3).toString()).toBe('Custodian');
    expect(ack.getSegment('MSH')!.getField(9).toString()).toBe('ACK^A04');
    expect(ack.getSegment('MSA')!.getField(2).toString()).toBe('1270326314');
  });
});

describe('buildNak', () => {
  it('echoes what an unparseable message still shows in its MSH', () => {
    const nak = buildNak(`${A01}\rnot a segment at all`, 'line 4 is not an HL7 segment');
    expect(nak.getSegment('MSA')!.toString()).toBe('MSA|AR|MSG00001|line 4 is not an HL7 segment');
    expect(nak.getSegment('MSH')!.getField(5).toString()).toBe('ADT1');
    expect(nak.getSegment('ERR')!.getField(3).toString()).toBe('100^Segment sequence error^HL70357');
  });

  it('answers bytes without any MSH with a bare NAK', () => {
    const nak = buildNak('GET / HTTP/1.1', 'message does not start with an MSH segment');
    expect(nak.getSegment('MSA')!.toString()).toBe('MSA|AR||message does not start with an MSH segment');
    expect(nak.getSegment('MSH')!.getField(3).toString()).toBe('Custodian');
    expect(nak.getSegment('MSH')!.getField(9).toString()).toBe('ACK');
  });
});
