import type { Encounter } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushAudit } from './audit-trail.ts';
import { cliContext } from '../cli/context.ts';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../testing/test-db.ts';
import { isOutcomeError } from './outcomes.ts';
import {
  ensureSearchIndexCurrent,
  reindexSearch,
  SEARCH_INDEX_VERSION,
  typesChangedSince,
} from './reindex.ts';
import { FhirStore } from './store.ts';
import { bloodPressure } from '../testing/search-fixtures.ts';

describe('reindexSearch', () => {
  let db: Db;
  let store: FhirStore;
  beforeAll(async () => {
    db = await openTestDb();
    store = new FhirStore(db, cliContext());
  });
  afterAll(async () => {
    await flushAudit(db);
    await db.close();
  });

  const encounter = (id: string): Encounter => ({
    resourceType: 'Encounter',
    id,
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    participant: [{ individual: { identifier: { system: 'urn:npi', value: `npi-${id}` } } }],
  });
  const found = async (query: string) =>
    ((await store.search('Encounter', new URLSearchParams(query), { lenient: false })).entry ?? []).map(
      (e) => e.resource?.id,
    );

  it('makes records written before an index change findable, without new versions', async () => {
    await store.update('Encounter', 'ri-1', encounter('ri-1'));
    await store.update('Encounter', 'ri-2', encounter('ri-2'));
    // As if written by an older release that kept no :identifier rows and no status rows.
    await db.query(`DELETE FROM search_token WHERE resource_type = 'Encounter' AND resource_id LIKE 'ri-%'`);
    expect(await found('participant:identifier=urn:npi|npi-ri-1')).toEqual([]);
    expect(await found('status=finished&_id=ri-1,ri-2')).toEqual([]);

    const progress: number[] = [];
    const run = await reindexSearch(db, cliContext(), {
      type: 'Encounter',
      batchSize: 1,
      onProgress: (done) => progress.push(done),
    });
    expect(run.resources).toBe(2);
    expect(progress).toEqual([1, 2]);
    expect(await found('participant:identifier=urn:npi|npi-ri-1')).toEqual(['ri-1']);
    expect(await found('status=finished&_id=ri-1,ri-2')).toEqual(['ri-1', 'ri-2']);
    expect((await store.read('Encounter', 'ri-1')).meta?.versionId).toBe('1');

    // Running it again changes nothing; the whole store can be done too.
    const rows = `SELECT param, code FROM search_token WHERE resource_type = 'Encounter' ORDER BY 1, 2`;
    const before = (await db.query(rows)).rows;
    await reindexSearch(db, cliContext(), { type: 'Encounter' });
    expect((await db.query(rows)).rows).toEqual(before);
    expect((await reindexSearch(db, cliContext())).resources).toBeGreaterThanOrEqual(2);

    await flushAudit(db);
    const audit = await db.query<{ detail: string }>(
      `SELECT content->>'outcomeDesc' AS detail FROM fhir_resource WHERE resource_type = 'AuditEvent'
        AND content->>'outcomeDesc' LIKE 'search index rebuilt%'`,
    );
    expect(audit.rows.map((r) => r.detail)).toContain('search index rebuilt for 2 Encounter');
  });

  it('names an unknown resource type', async () => {
    const err = await reindexSearch(db, cliContext(), { type: 'Nope' }).catch((e: unknown) => e);
    expect(isOutcomeError(err) && JSON.stringify(err.outcome)).toContain("Unknown resource type 'Nope'");
  });

  it('rebuilds at start an index built by an older version, and then leaves it alone', async () => {
    await store.update('Observation', 'ri-bp', bloodPressure('ri-bp', 150, 95));
    const systolicAbove140 = async () =>
      (
        await store.search(
          'Observation',
          new URLSearchParams({ 'component-code-value-quantity': 'http://loinc.org|8480-6$gt140' }),
          { lenient: false },
        )
      ).entry?.map((e) => e.resource?.id) ?? [];
    expect(await systolicAbove140()).toEqual(['ri-bp']);
    // As a store indexed by version 1 (before composites) would be.
    await db.query(`DELETE FROM search_number WHERE param LIKE '%$%'`);
    await db.query('DELETE FROM search_index_state');
    expect(await systolicAbove140()).toEqual([]);

    const lines: string[] = [];
    expect(await ensureSearchIndexCurrent(db, cliContext(), (l) => lines.push(l))).toBeGreaterThan(0);
    expect(lines.at(-1)).toMatch(/^Rebuilding the search index for this version: (\d+) of \1 resources$/);
    expect(await systolicAbove140()).toEqual(['ri-bp']);
    const state = await db.query<{ version: number }>('SELECT version FROM search_index_state');
    expect(state.rows).toEqual([{ version: SEARCH_INDEX_VERSION }]);
    expect(await ensureSearchIndexCurrent(db, cliContext(), (l) => lines.push(l))).toBe(0);
  });

  it("reindexes only the types a version changed: version 5's Custodian parameters, Encounter and Task", async () => {
    await store.update('Encounter', 'ri-charged', {
      ...encounter('ri-charged'),
      extension: [
        { url: 'urn:custodian:fhir:total-charges', valueMoney: { value: 1234.5, currency: 'USD' } },
      ],
    });
    expect(await found('total-charges=gt1000')).toEqual(['ri-charged']);
    // As a store indexed by version 4 (before total-charges) would be.
    await db.query(`DELETE FROM search_number WHERE param = 'total-charges'`);
    await db.query('UPDATE search_index_state SET version = 4');
    expect(typesChangedSince(4)).toEqual(['Encounter', 'Task']);
    expect(typesChangedSince(3)).toBeUndefined();
    expect(await found('total-charges=gt1000')).toEqual([]);
    const lines: string[] = [];
    await ensureSearchIndexCurrent(db, cliContext(), (l) => lines.push(l));
    expect(lines[0]).toContain('rebuilding Encounter, Task before serving');
    expect(lines.slice(1).every((l) => / of \d+ (Encounter|Task) resources$/.test(l))).toBe(true);
    expect(await found('total-charges=gt1000')).toEqual(['ri-charged']);
    const state = await db.query<{ version: number }>('SELECT version FROM search_index_state');
    expect(state.rows).toEqual([{ version: SEARCH_INDEX_VERSION }]);
  });

  it('marks a fresh, empty store current without reindexing or auditing anything', async () => {
    const fresh = await openTestDb();
    try {
      expect(await ensureSearchIndexCurrent(fresh, cliContext(), () => undefined)).toBe(0);
      const state = await fresh.query<{ version: number }>('SELECT version FROM search_index_state');
      expect(state.rows).toEqual([{ version: SEARCH_INDEX_VERSION }]);
      expect((await fresh.query('SELECT 1 FROM fhir_resource')).rows).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});
