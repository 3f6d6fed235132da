import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../app/demo-loader.ts';
import { FIRST_START_CONTEXT as SEEDER } from '../app/first-start.ts';
import { seedDemoAmendments } from '../disclosure/index.ts';
import type { AmendmentView } from '../disclosure/index.ts';
import { FhirStore } from '../fhir/store.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { seedDemoHolds } from './demo-holds.ts';
import type { LegalHold } from './holds.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await loadDemoData(new FhirStore(server.db, SEEDER), {
    patients: 12,
    seed: 2026,
    startDate: '2025-01-01',
    years: 1,
  });
}, 240_000);
afterAll(async () => server?.stop());

describe('demo amendments and legal holds', () => {
  it('open the amendment queue with work in every state and the hold screen with standing holds', async () => {
    expect(await seedDemoAmendments(server.db, SEEDER)).toBe(5);
    const res = await server.call('him-technician', 'GET', '/disclosure/amendments?status=all');
    const { amendments } = (await res.json()) as { amendments: AmendmentView[] };
    expect(amendments.map((a) => a.status).sort()).toEqual([
      'accepted',
      'denied',
      'received',
      'routed',
      'routed',
    ]);
    const denied = amendments.find((a) => a.status === 'denied');
    expect(denied?.disagreement?.text).toContain('I disagree');
    expect(amendments.filter((a) => a.extension)).toHaveLength(1);

    expect(await seedDemoHolds(server.db, SEEDER)).toBe(2);
    const held = await server.call('privacy-officer', 'GET', '/retention/holds');
    const { holds } = (await held.json()) as { holds: LegalHold[] };
    expect(holds.map((h) => h.scope.split('/')[0]).sort()).toEqual(['Encounter', 'Patient']);
    // A demo hold works as any other: the held chart cannot be deleted.
    const patientHold = holds.find((h) => h.scope.startsWith('Patient/'));
    expect((await server.call('admin', 'DELETE', `/fhir/R4/${patientHold?.scope ?? ''}`)).status).toBe(409);
  });
});
