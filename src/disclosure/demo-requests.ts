import type { Patient } from '@medplum/fhirtypes';
import type { Db } from '../db/index.ts';
import type { RequestContext } from '../fhir/request-context.ts';
import { FhirStore } from '../fhir/store.ts';
import { addDays, HIPAA_CLOCK, today } from './legal-clock.ts';
import { authorizationForm } from './authorization-fixture.ts';
import { releaseRequest } from './release.ts';
import {
  closeRequest,
  createRequest,
  denyRequest,
  extendRequest,
  reviewRequest,
  type WorkflowOptions,
} from './requests.ts';

/**
 * Demo release requests for a fresh demo database: one or more in every status, received so
 * that some are near their due date and some past it, so the ROI queue opens with work to do.
 * Written through the same workflow functions the API uses.
 */
export async function seedDemoRequests(db: Db, ctx: RequestContext, asOf = today()): Promise<number> {
  const store = new FhirStore(db, ctx);
  const patients = (await store.find({ type: 'Patient', count: 9 })).matches as Patient[];
  if (patients.length === 0) return 0;
  const options: WorkflowOptions = { clock: HIPAA_CLOCK, asOf };
  const id = (i: number): string => patients[i % patients.length]?.id ?? '';
  const name = (i: number): string => {
    const n = patients[i % patients.length]?.name?.[0];
    return [...(n?.given ?? []), n?.family].filter(Boolean).join(' ') || 'The patient';
  };
  const log = (i: number, daysAgo: number, fields: Record<string, unknown>) =>
    createRequest(
      store,
      {
        patient: `Patient/${id(i)}`,
        requesterType: 'patient',
        recipient: name(i),
        purpose: 'personal',
        received: addDays(asOf, -daysAgo),
        ...fields,
      },
      options,
    );
  // Logged, on time and near due.
  await log(0, 3, {});
  await log(1, 27, {
    requesterType: 'provider',
    recipient: 'Dr. Priya Raman, Lakeside Family Practice',
    purpose: 'treatment',
  });
  // Waiting for an authorization.
  await log(2, 10, { requesterType: 'attorney', recipient: 'Whitfield & Moreno LLP', purpose: 'legal' });
  // In review and overdue; in review after the one extension.
  const payer = await log(3, 33, {
    requesterType: 'payer',
    recipient: 'Bluewater Health Plan',
    purpose: 'payment',
  });
  await reviewRequest(
    store,
    payer.id,
    { from: addDays(asOf, -400), types: ['Encounter', 'Condition'] },
    options,
  );
  const extended = await log(4, 45, {
    requesterType: 'personal-representative',
    recipient: 'Maria Alvarez (guardian)',
  });
  await reviewRequest(store, extended.id, {}, options);
  await extendRequest(
    store,
    extended.id,
    {
      notice: 'Older records are in off-site storage; we will answer within 30 more days.',
      noticeSent: addDays(asOf, -20),
    },
    options,
  );
  // Overdue, not yet worked.
  await log(5, 35, {
    requesterType: 'public-health',
    recipient: 'State Department of Health',
    purpose: 'public-health',
    types: ['Immunization'],
  });
  // Released, denied, closed.
  const released = await log(6, 12, {
    requesterType: 'attorney',
    recipient: 'Hartley Legal Group',
    purpose: 'legal',
    authorization: authorizationForm(id(6), { recipient: 'Hartley Legal Group', signed: addDays(asOf, -14) }),
  });
  await releaseRequest(db, store, released.id, options);
  const denied = await log(7, 8, {
    requesterType: 'subpoena',
    recipient: 'Clerk of the Circuit Court',
    purpose: 'judicial',
  });
  await denyRequest(
    store,
    denied.id,
    { reason: "A subpoena without a court order or the patient's authorization" },
    options,
  );
  const closed = await log(8, 15, {
    requesterType: 'law-enforcement',
    recipient: 'City Police Department',
    purpose: 'law-enforcement',
  });
  await closeRequest(store, closed.id, { reason: 'The requester withdrew the request' }, options);
  return 9;
}
