import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FhirStore } from '../fhir/store.ts';
import { cliContext } from '../cli/context.ts';
import { hasSharedTestdata, sharedTestdata } from '../testing/shared-testdata.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { importFiles } from './import.ts';

const dir = sharedTestdata('synthea');
const files = hasSharedTestdata ? readdirSync(dir).sort() : [];
const shared = files.filter((f) => /^(hospital|practitioner)Information/.test(f));
const patients = files.filter((f) => !shared.includes(f));
const load = (f: string): Bundle => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Bundle;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.stop());

/** The resource as sent, with references mapped to what the server assigned. */
function expected(resource: Resource, ids: Map<string, string>, resolved: (ref: string) => boolean): unknown {
  return JSON.parse(JSON.stringify(resource), (key, value: unknown) => {
    if (key === 'reference' && typeof value === 'string') {
      if (ids.has(value)) return ids.get(value);
      if (value.includes('?')) return resolved(value) ? 'CONDITIONAL' : value;
    }
    return value;
  }) as unknown;
}

function comparable(resource: Resource): unknown {
  const { meta: _m, id: _i, ...rest } = resource;
  return JSON.parse(JSON.stringify(rest), (key, value: unknown) =>
    key === 'reference' &&
    typeof value === 'string' &&
    /^(Practitioner|Organization|Location|PractitionerRole)\//.test(value)
      ? 'CONDITIONAL'
      : value,
  ) as unknown;
}

describe.skipIf(!hasSharedTestdata)('Synthea bundles load as they are', () => {
  it('loads the organisation and practitioner batch bundles', async () => {
    for (const f of shared) {
      const res = await server.call('admin', 'POST', '/fhir/R4', load(f));
      expect(res.status).toBe(200);
      const out = (await res.json()) as Bundle;
      const failed = (out.entry ?? []).filter((e) => !/^20[01]/.test(e.response?.status ?? ''));
      expect(failed).toEqual([]);
    }
  });

  it('imports every patient bundle, reads each resource back equal, and $everything returns them all', async () => {
    for (const f of patients) {
      const sent = load(f);
      const res = await server.call('admin', 'POST', '/fhir/R4', sent);
      expect(res.status, f).toBe(200);
      const out = (await res.json()) as Bundle;
      const ids = new Map<string, string>();
      (sent.entry ?? []).forEach((e, i) => {
        const loc = out.entry?.[i]?.response?.location?.split('/_history')[0];
        if (e.fullUrl && loc) ids.set(e.fullUrl, loc);
      });
      const patientRef = [...ids.values()].find((v) => v.startsWith('Patient/')) ?? '';
      const everything = (await (
        await server.call('admin', 'GET', `/fhir/R4/${patientRef}/$everything`)
      ).json()) as Bundle;
      const everythingIds = new Set(
        (everything.entry ?? []).map((e) => `${e.resource?.resourceType ?? ''}/${e.resource?.id ?? ''}`),
      );
      for (const [i, e] of (sent.entry ?? []).entries()) {
        const loc = ids.get(e.fullUrl ?? '') ?? '';
        expect(everythingIds.has(loc), `${f} entry ${i} ${loc} in $everything`).toBe(true);
      }
      // And the practitioners, organisations and locations the chart refers to.
      const referenced = JSON.stringify(everything.entry ?? []).match(
        /"reference":"(Practitioner|Organization|Location)\/[^"]+"/g,
      );
      expect(referenced?.length ?? 0, f).toBeGreaterThan(0);
      for (const ref of new Set(referenced)) {
        const target = ref.slice('"reference":"'.length, -1);
        expect(everythingIds.has(target), `${f}: ${target} in $everything`).toBe(true);
      }
      // Read back a sample of every resource type of the bundle through the API.
      const seen = new Set<string>();
      for (const e of sent.entry ?? []) {
        const type = e.resource?.resourceType ?? '';
        if (seen.has(type) || !e.resource) continue;
        seen.add(type);
        const loc = ids.get(e.fullUrl ?? '') ?? '';
        const back = (await (await server.call('admin', 'GET', `/fhir/R4/${loc}`)).json()) as Resource;
        expect(comparable(back), `${f} ${loc}`).toEqual(
          comparable(expected(e.resource, ids, () => true) as Resource),
        );
      }
    }
  });

  it('the import command is idempotent: a second run creates nothing new', async () => {
    const store = new FhirStore(server.db, cliContext());
    const subset = patients.slice(0, 2).map((f) => join(dir, f));
    // The versions written since a moment, asked of the store's history (AuditEvents are not in it).
    const writtenSince = async (since: string) =>
      (await store.history(undefined, undefined, new URLSearchParams({ _since: since, _count: '1000' })))
        .entry?.length ?? 0;
    const first = await importFiles(store, subset);
    expect(first.failures).toEqual([]);
    const afterFirst = new Date().toISOString();
    const second = await importFiles(store, subset);
    expect(second.failures).toEqual([]);
    expect(await writtenSince(afterFirst)).toBe(0);
    const bad = await importFiles(store, [
      sharedTestdata('febrl', 'febrl-dataset1.csv'),
      join(dir, patients[0] ?? ''),
    ]);
    expect(bad.files).toBe(1);
  });
});
