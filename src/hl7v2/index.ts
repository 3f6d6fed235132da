// HL7 v2 ADT intake: parse, map to FHIR actions, acknowledge, and listen over MLLP.
export {
  adtTextToAction,
  adtToAction,
  encounterFromPv1,
  patientFromPid,
  primaryIdentifier,
} from './adt-to-fhir.ts';
export { MERGE_TRIGGERS, UPSERT_TRIGGERS } from './adt-to-fhir.ts';
export type {
  AdtAction,
  AdtHeader,
  AdtMapOptions,
  AdtMapResult,
  AdtMerge,
  AdtMergePair,
  AdtTrigger,
  AdtUpsert,
  MergeTrigger,
  UpsertTrigger,
} from './adt-to-fhir.ts';
export { AdtRefusal, HL7_ERROR } from './errors.ts';
export type { AdtRejection, Hl7ErrorCode, Hl7ErrorLocation } from './errors.ts';
export { ackText, buildAck, buildNak, OUR_APPLICATION } from './ack.ts';
export type { AckCode, AckDetail } from './ack.ts';
export { authoritySystem, LOCAL_AUTHORITY_PREFIX } from './datatypes.ts';
export { decodeHl7Text, encodeHl7Text } from './escape.ts';
export { parseHl7Message } from './parse.ts';
export { startMllpListener } from './mllp-server.ts';
export type { MllpEvent, MllpListener, MllpListenerOptions } from './mllp-server.ts';
export { MllpFramer, mllpFrame } from './mllp-framer.ts';
export { applyAdtAction } from './apply-to-store.ts';
export type { PatientMerger } from './apply-to-store.ts';
