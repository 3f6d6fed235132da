import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../app/demo-loader.ts';
import { generatePatients } from '../demo/index.ts';
import { FhirStore } from '../fhir/store.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { casefindingFlag } from './casefinding-list.ts';
import { REGISTRY_CONTEXT, type Candidate } from './casefinding.ts';
import { demoCancerCases } from './demo-cases.ts';

const DEMO = { patients: 26, seed: 2026, startDate: '2024-01-01', years: 2 };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await loadDemoData(new FhirStore(server.db, REGISTRY_CONTEXT), DEMO, undefined, demoCancerCases());
}, 240_000);
afterAll(async () => server?.stop());

describe('demo cancer patients', () => {
  it('are the same every time', () => {
    const [first] = generatePatients({ ...DEMO, patients: 1 });
    expect(JSON.stringify(demoCancerCases()(first!.bundle))).toBe(
      JSON.stringify(demoCancerCases()(first!.bundle)),
    );
  });

  it('fill the suspense queue from coded demo visits, only with reportable codes, second visits matched once a case exists', async () => {
    const res = await server.call('cancer-registrar', 'GET', '/registry/casefinding');
    const { candidates } = (await res.json()) as { candidates: Candidate[] };
    // Patients 1 and 26 of the seeded run; the demo's other diagnoses (diabetes, hypertension...) never.
    const patients = [...new Set(candidates.map((c) => c.patient))];
    expect(patients).toHaveLength(2);
    expect(candidates.every((c) => casefindingFlag(c.code) === 'reportable' && c.status === 'new')).toBe(
      true,
    );
    const [first] = candidates;
    const accessioned = await server.call('cancer-registrar', 'POST', '/registry/casefinding/accession', {
      patient: first!.patient,
      source: first!.source,
    });
    expect(accessioned.status).toBe(201);
    const after = (
      (await (await server.call('cancer-registrar', 'GET', '/registry/casefinding')).json()) as {
        candidates: Candidate[];
      }
    ).candidates;
    const sameSite = after.filter((c) => c.patient === first!.patient);
    expect(sameSite.length).toBeGreaterThan(0);
    expect(sameSite.every((c) => c.status === 'matched')).toBe(true);
  });
});
