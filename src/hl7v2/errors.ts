/** HL7 table 0357 (message error condition codes) used in ERR-3. */
export const HL7_ERROR = {
  segmentSequence: '100',
  requiredFieldMissing: '101',
  dataType: '102',
  tableValueNotFound: '103',
  unsupportedMessageType: '200',
  unsupportedEvent: '201',
  unsupportedProcessingId: '202',
  unsupportedVersion: '203',
  unknownKey: '204',
  duplicateKey: '205',
  recordLocked: '206',
  internalError: '207',
} as const;
export type Hl7ErrorCode = (typeof HL7_ERROR)[keyof typeof HL7_ERROR];

/** Where in the message a problem is (ERR-2): segment id, its occurrence (1-based), field number. */
export interface Hl7ErrorLocation {
  segment: string;
  sequence?: number;
  field?: number;
}

/** Why a message is not acted on: AR for what we do not accept at all, AE for bad or missing data. */
export interface AdtRejection {
  ackCode: 'AE' | 'AR';
  errorCode: Hl7ErrorCode;
  reason: string;
  location?: Hl7ErrorLocation;
}

/**
 * Thrown by `onAction` to refuse a message with its own ACK code and ERR details (say AE 204 for a
 * patient the store does not know); any other error answers AE 207 with the error's message.
 */
export class AdtRefusal extends Error {
  constructor(readonly rejection: AdtRejection) {
    super(rejection.reason);
    this.name = 'AdtRefusal';
  }
}
