import type { RequestContext } from '../auth/access.ts';
import type { Config } from './config.ts';
import type { Db } from '../db/index.ts';
import { FhirStore } from '../fhir/store.ts';
import { applyAdtAction, startMllpListener, type MllpListener } from '../hl7v2/index.ts';
import { mergePatients } from '../mpi/index.ts';

/** The HL7 interface acts as a system user; every message's changes are audited under it. */
const HL7_CONTEXT: RequestContext = {
  userId: 'hl7-interface',
  username: 'hl7:adt-interface',
  role: 'system',
  purpose: 'HOPERAT',
  sourceAddress: 'mllp',
  tokenId: 'hl7',
  brokenGlassPatients: [],
};

/** Starts the MLLP listener that applies ADT messages to the record store. */
export function startAdtIntake(db: Db, config: Pick<Config, 'mllpHost' | 'mllpPort'>): Promise<MllpListener> {
  return startMllpListener({
    host: config.mllpHost,
    port: config.mllpPort,
    onAction: (action) => applyAdtAction(new FhirStore(db, HL7_CONTEXT), action, mergePatients),
  });
}
