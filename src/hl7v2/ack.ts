import { randomUUID } from 'node:crypto';
import { Hl7Message, Hl7Segment } from '@medplum/core';
import { HL7_ERROR } from './errors.ts';
import type { Hl7ErrorCode, Hl7ErrorLocation } from './errors.ts';
import { delimitersOf, encodeHl7Text } from './escape.ts';
import { parseHl7Message } from './parse.ts';

export type AckCode = 'AA' | 'AE' | 'AR';

/** Our application name in MSH-3 of an ACK when the message did not name us in MSH-5. */
export const OUR_APPLICATION = 'Custodian';

export interface AckDetail {
  /** ERR-3 (HL7 table 0357); defaults to 207 for AE and 200 for AR. */
  errorCode?: Hl7ErrorCode;
  /** ERR-2: where the problem is. */
  location?: Hl7ErrorLocation;
}

const ERROR_TEXT: Readonly<Record<Hl7ErrorCode, string>> = {
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '206': 'Application record locked',
  '207': 'Application internal error',
};

// MSA-3 and ERR-8 are free text for a person; a whole stack trace does not belong in an ACK.
const MAX_TEXT = 250;

/**
 * The acknowledgement of `message`: @medplum/core's ACK (MSH-3..6 swapped, MSH-9 ACK^<trigger>,
 * MSA-1 the code, MSA-2 the original MSH-10), with a unique MSH-10, MSH-11 mirrored, MSA-3 the text,
 * and for AE/AR an ERR segment (ERR-2 location, ERR-3 table 0357 code, ERR-4 severity, ERR-8 text).
 */
export function buildAck(
  message: Hl7Message,
  code: AckCode,
  text?: string,
  detail: AckDetail = {},
): Hl7Message {
  const d = delimitersOf(message.context);
  const original = message.getSegment('MSH');
  const shortText = text === undefined ? undefined : truncate(text);
  const errSegment = code === 'AA' ? undefined : errSegmentFor(message, code, shortText, detail);
  const ack = message.buildAck({ ackCode: code, ...(errSegment ? { errSegment } : {}) });
  const result = new Hl7Message(ack.segments, message.context);
  const msh = result.getSegment('MSH');
  if (msh) {
    // The library's MSH-10 is Date.now(), which repeats within a millisecond; MSH-10 must be unique.
    msh.setField(7, hl7Now());
    msh.setField(10, randomUUID().replace(/-/g, '').slice(0, 20));
    msh.setField(11, original?.getField(11)?.toString() || 'P');
    if (!msh.getField(3)?.toString()) {
      msh.setField(3, OUR_APPLICATION);
    }
  }
  if (shortText !== undefined) {
    result.getSegment('MSA')?.setField(3, encodeHl7Text(shortText, d));
  }
  return result;
}

function errSegmentFor(
  message: Hl7Message,
  code: AckCode,
  text: string | undefined,
  detail: AckDetail,
): Hl7Segment {
  const d = delimitersOf(message.context);
  const errorCode =
    detail.errorCode ?? (code === 'AR' ? HL7_ERROR.unsupportedMessageType : HL7_ERROR.internalError);
  const location = detail.location
    ? [detail.location.segment, detail.location.sequence ?? '', detail.location.field ?? ''].join(d.component)
    : '';
  return new Hl7Segment(
    [
      'ERR',
      '',
      location,
      [errorCode, ERROR_TEXT[errorCode], 'HL70357'].join(d.component),
      'E',
      '',
      '',
      '',
      text === undefined ? '' : encodeHl7Text(text, d),
    ],
    message.context,
  );
}

/** Now as an HL7 DTM in UTC with its offset stated (the library's ACK time carries no offset). */
function hl7Now(): string {
  return `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}+0000`;
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_TEXT ? `${oneLine.slice(0, MAX_TEXT - 1)}…` : oneLine;
}

/**
 * A negative acknowledgement (AR) for text that could not be parsed as a message. It echoes what can
 * still be read: when an MSH line with usable encoding characters is present, its applications,
 * control id and version; otherwise a bare header with an empty MSA-2.
 */
export function buildNak(
  rawText: string,
  reason: string,
  errorCode: Hl7ErrorCode = HL7_ERROR.segmentSequence,
): Hl7Message {
  const mshLine = rawText
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .find((line) => line.startsWith('MSH'));
  const header = mshLine === undefined ? undefined : parseHl7Message(mshLine);
  const original = header?.ok ? header.message : Hl7Message.parse('MSH|^~\\&|||||||||P|2.5.1');
  return buildAck(original, 'AR', reason, { errorCode });
}

/** The ACK as wire text: segments each ended by CR, as the standard has it. */
export function ackText(ack: Hl7Message): string {
  return `${ack.toString()}\r`;
}
