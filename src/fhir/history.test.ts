import type { Bundle, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/** Issue #14 items 2 and 3: history paged like search; _since, _at and unknown parameters. */
let server: TestServer;
let patient: Patient;
/** Every version of `patient`, oldest first. */
const versions: Patient[] = [];

beforeAll(async () => {
  server = await startTestServer();
  const created = await server.call('him-technician', 'POST', '/fhir/R4/Patient', {
    resourceType: 'Patient',
    name: [{ family: 'Paged', given: ['V1'] }],
  });
  patient = (await created.json()) as Patient;
  versions.push(patient);
  for (let v = 2; v <= 5; v += 1) {
    const res = await server.call('him-technician', 'PUT', `/fhir/R4/Patient/${patient.id ?? ''}`, {
      ...patient,
      name: [{ family: 'Paged', given: [`V${v}`] }],
    });
    versions.push((await res.json()) as Patient);
  }
  for (let i = 0; i < 4; i += 1)
    await server.call('him-technician', 'POST', '/fhir/R4/Observation', {
      resourceType: 'Observation',
      status: 'final',
      code: { text: `paged ${i}` },
      subject: { reference: `Patient/${patient.id ?? ''}` },
    });
});
afterAll(async () => server?.stop());

const get = async (path: string): Promise<Bundle> => {
  const res = await server.call('admin', 'GET', path);
  expect(res.status).toBe(200);
  return (await res.json()) as Bundle;
};

/** Follows `next` links from `path` and answers every page. */
async function allPages(path: string): Promise<Bundle[]> {
  const pages = [await get(path)];
  for (;;) {
    const next = pages[pages.length - 1]?.link?.find((l) => l.relation === 'next')?.url;
    if (!next) return pages;
    expect(pages.length).toBeLessThan(50);
    pages.push(await get(new URL(next).pathname + new URL(next).search));
  }
}

const versionOf = (b: Bundle): Array<string | undefined> =>
  (b.entry ?? []).map((e) => e.resource?.meta?.versionId);

describe('history paging', () => {
  it('pages an instance history with next links and the full total', async () => {
    const pages = await allPages(`/fhir/R4/Patient/${patient.id ?? ''}/_history?_count=2`);
    expect(pages.map((p) => p.entry?.length)).toEqual([2, 2, 1]);
    expect(pages.every((p) => p.total === 5)).toBe(true);
    expect(pages.flatMap(versionOf)).toEqual(['5', '4', '3', '2', '1']);
  });

  it('pages type and system histories without losing or repeating a version', async () => {
    for (const path of ['/fhir/R4/Observation/_history?_count=3', '/fhir/R4/_history?_count=3']) {
      const pages = await allPages(path);
      const seen = pages.flatMap((p) =>
        (p.entry ?? []).map((e) => `${e.fullUrl ?? ''}@${e.response?.etag ?? ''}`),
      );
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBe(pages[0]?.total);
      expect(pages.length).toBeGreaterThan(1);
    }
    expect((await get('/fhir/R4/Observation/_history')).total).toBe(4);
    expect((await get('/fhir/R4/_history?_count=1')).total).toBe(9);
  });
});

describe('history parameters', () => {
  it('answers an empty Bundle for _since after the last change, at every level', async () => {
    const later = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    for (const path of [`Patient/${patient.id ?? ''}/_history`, 'Patient/_history', '_history']) {
      const bundle = await get(`/fhir/R4/${path}?_since=${later}`);
      expect(bundle.type).toBe('history');
      expect(bundle.total).toBe(0);
      expect(bundle.entry ?? []).toEqual([]);
    }
    const since = encodeURIComponent(versions[3]?.meta?.lastUpdated ?? '');
    expect(versionOf(await get(`/fhir/R4/Patient/${patient.id ?? ''}/_history?_since=${since}`))).toEqual([
      '5',
      '4',
    ]);
  });

  it('honours _at: the versions current at that time', async () => {
    const path = `/fhir/R4/Patient/${patient.id ?? ''}/_history?_at=`;
    expect(
      versionOf(await get(`${path}${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)),
    ).toEqual(['5']);
    expect((await get(`${path}2000-01-01`)).total).toBe(0);
    const third = versionOf(await get(`${path}${encodeURIComponent(versions[2]?.meta?.lastUpdated ?? '')}`));
    expect(third).toContain('3');
    expect(third).not.toContain('1');
    expect(third).not.toContain('5');
  });

  it('refuses parameters it does not honour', async () => {
    for (const query of [
      '_history?_sort=_lastUpdated',
      'Patient/_history?name=x',
      '_history?_at=ge2020',
      '_history?_count=x',
    ]) {
      const res = await server.call('admin', 'GET', `/fhir/R4/${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as OperationOutcome).resourceType).toBe('OperationOutcome');
    }
  });
});
