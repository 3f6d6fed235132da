import type { Encounter } from '@medplum/fhirtypes';
import type { Db } from '../db/index.ts';
import type { RequestContext } from '../fhir/request-context.ts';
import { FhirStore } from '../fhir/store.ts';
import { placeHold } from './holds.ts';

/**
 * Demo legal holds for a fresh demo database, so the legal-hold screen shows what standing holds
 * look like: one on a whole chart (litigation) and one on a single encounter (an incident review).
 * Placed through the function the API uses, so each is audited. Answers how many were placed.
 */
export async function seedDemoHolds(db: Db, ctx: RequestContext): Promise<number> {
  const store = new FhirStore(db, ctx);
  const encounters = (await store.find({ type: 'Encounter', count: 20 })).matches as Encounter[];
  const patients = [
    ...new Set(encounters.map((e) => e.subject?.reference).filter((r) => r?.startsWith('Patient/'))),
  ];
  const incident = encounters.find((e) => e.id && e.subject?.reference !== patients[0]);
  if (!patients[0] || !incident?.id) return 0;
  await placeHold(store, {
    scope: patients[0],
    matter: 'Rivera v. Custodian General Hospital (malpractice claim)',
    custodian: 'Office of General Counsel',
  });
  await placeHold(store, {
    scope: `Encounter/${incident.id}`,
    matter: 'Incident review 2026-114 (fall in the emergency department)',
    custodian: 'Risk Management',
  });
  return 2;
}
