import type { Condition } from '@medplum/fhirtypes';
import type { Db } from '../db/index.ts';
import type { RequestContext } from '../fhir/request-context.ts';
import { FhirStore } from '../fhir/store.ts';
import {
  acceptAmendment,
  createAmendment,
  denyAmendment,
  extendAmendment,
  fileDisagreement,
  routeAmendment,
  type AmendmentOptions,
} from './amendments.ts';
import { addDays, today } from './legal-clock.ts';

/**
 * Demo amendment requests for a fresh demo database, so the amendment queue opens with work in
 * every state: new, routed to the author and near due, extended, accepted with a correction, and
 * denied with the patient's statement of disagreement (which then travels with every release).
 * Each names a real diagnosis of its patient's chart, and goes through the workflow functions the
 * API uses. Answers how many were made.
 */
export async function seedDemoAmendments(db: Db, ctx: RequestContext, asOf = today()): Promise<number> {
  const store = new FhirStore(db, ctx);
  const conditions = (await store.find({ type: 'Condition', count: 40 })).matches as Condition[];
  // One diagnosis from each of five different charts.
  const picked = new Map<string, Condition>();
  for (const c of conditions) {
    const patient = c.subject?.reference;
    if (patient?.startsWith('Patient/') && c.id && !picked.has(patient)) picked.set(patient, c);
  }
  const charts = [...picked.entries()].slice(0, 5);
  if (charts.length < 5) return 0;
  const options = (daysAgo: number): AmendmentOptions => ({ asOf: addDays(asOf, -daysAgo) });
  const ask = (i: number, daysAgo: number, change: string, reason: string) => {
    const [patient, condition] = charts[i] ?? [];
    return createAmendment(
      store,
      {
        patient,
        records: [`Condition/${condition?.id ?? ''}`],
        change,
        reason,
        received: addDays(asOf, -daysAgo),
        notify: ['Primary care physician'],
      },
      { asOf },
    );
  };
  await ask(0, 4, 'The onset date should be last spring, not last year', 'I first had symptoms in April');
  const routed = await ask(
    1,
    52,
    'This diagnosis was ruled out at my follow-up visit',
    'Follow-up was normal',
  );
  await routeAmendment(store, routed.id, { author: 'Dr. Helen Park' }, options(45));
  const extended = await ask(
    2,
    75,
    'The diagnosis belongs to my brother, not to me',
    'Records were mixed up',
  );
  await routeAmendment(store, extended.id, { author: 'Dr. Samuel Osei' }, options(70));
  await extendAmendment(
    store,
    extended.id,
    { notice: 'The author is on leave; we will answer within 30 more days.', noticeSent: addDays(asOf, -20) },
    options(20),
  );
  const accepted = await ask(3, 30, 'The condition is resolved since my surgery', 'Surgery in March');
  await acceptAmendment(
    store,
    accepted.id,
    { correction: 'Amended at the patient’s request: the condition resolved after surgery.' },
    options(10),
  );
  const denied = await ask(4, 40, 'Please remove this diagnosis from my record', 'I do not agree with it');
  await denyAmendment(
    store,
    denied.id,
    { basis: 'accurate-and-complete', explanation: 'The diagnosis is supported by the visit’s findings.' },
    options(15),
  );
  await fileDisagreement(
    store,
    denied.id,
    { statement: 'I disagree: my own physician found no sign of it.', filed: addDays(asOf, -5) },
    options(5),
  );
  return 5;
}
