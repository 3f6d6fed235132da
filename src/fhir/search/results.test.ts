import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Patient, Resource } from '@medplum/fhirtypes';
import { openTestDb } from '../../testing/test-db.ts';
import type { Db } from '../../db/db.ts';
import { deleteSearchRows, parseSearch, searchBundle, type SearchAccess } from './index.ts';
import { exampleResources, storeResources, syntheaPatient } from '../../testing/search-fixtures.ts';
import { hasSharedTestdata } from '../../testing/shared-testdata.ts';

const BASE = 'http://test/fhir';
let db: Db;

async function search(type: string, query: string, access?: SearchAccess): Promise<Bundle> {
  const request = parseSearch(type, new URLSearchParams(query), { lenient: false });
  return searchBundle(db, request, { baseUrl: BASE, ...(access ? { access } : {}) });
}
const matchIds = (b: Bundle): string[] =>
  (b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource?.id as string);
const includeKeys = (b: Bundle): string[] =>
  (b.entry ?? [])
    .filter((e) => e.search?.mode === 'include')
    .map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
const nextQuery = (b: Bundle): string | undefined => {
  const url = b.link?.find((l) => l.relation === 'next')?.url;
  return url ? new URL(url).search.slice(1) : undefined;
};

/** Walks every page, running `between` after each one. */
async function allPages(
  type: string,
  query: string,
  between?: (page: number) => Promise<void>,
): Promise<string[]> {
  const seen: string[] = [];
  let q: string | undefined = query;
  for (let page = 0; q !== undefined && page < 100; page++) {
    const bundle = await search(type, q);
    seen.push(...matchIds(bundle));
    if (between) await between(page);
    q = nextQuery(bundle);
  }
  return seen;
}

const patient = (id: string, family: string, birthDate?: string): Patient => ({
  resourceType: 'Patient',
  id,
  name: [{ family, given: ['Test'] }],
  ...(birthDate ? { birthDate } : {}),
});

beforeAll(async () => {
  db = await openTestDb();
  // The spec examples and a Synthea patient are shared test data: the tests naming them skip without it.
  if (hasSharedTestdata) {
    await storeResources(db, exampleResources());
    await storeResources(db, syntheaPatient(1));
  }
  const pagers = Array.from({ length: 25 }, (_, i) =>
    patient(
      `pg-${String(i).padStart(2, '0')}`,
      `Pager${String.fromCharCode(97 + (i % 5))}`,
      i % 7 === 0 ? undefined : `19${50 + i}-01-01`,
    ),
  );
  await storeResources(db, pagers);
});
afterAll(async () => {
  await db.close();
});

describe('_sort and paging', () => {
  it('sorts by string and date, both directions, missing values last', async () => {
    const byFamily = matchIds(await search('Patient', 'family=pager&_sort=family,-_id&_count=100'));
    expect(byFamily.slice(0, 5)).toEqual(['pg-20', 'pg-15', 'pg-10', 'pg-05', 'pg-00']);
    const byBirth = matchIds(await search('Patient', 'family=pager&_sort=-birthdate&_count=100'));
    expect(byBirth[0]).toBe('pg-24');
    expect(byBirth.slice(-4)).toEqual(['pg-00', 'pg-07', 'pg-14', 'pg-21']);
    const byUpdated = await search('Patient', 'family=pager&_sort=_lastUpdated,_id&_count=3');
    expect(matchIds(byUpdated)).toEqual(['pg-00', 'pg-01', 'pg-02']);
  });

  it('pages with a cursor and reports total only when asked or known', async () => {
    const first = await search('Patient', 'family=pager&_count=10');
    expect(matchIds(first)).toHaveLength(10);
    expect(first.total).toBeUndefined();
    expect(first.link?.find((l) => l.relation === 'self')?.url).toBe(
      `${BASE}/Patient?family=pager&_count=10`,
    );
    const all = await allPages('Patient', 'family=pager&_count=10');
    expect(all).toHaveLength(25);
    expect(new Set(all).size).toBe(25);
    expect((await search('Patient', 'family=pager&_count=10&_total=accurate')).total).toBe(25);
    expect((await search('Patient', 'family=pagera&_count=10')).total).toBe(5);
  });

  it('neither skips nor repeats rows when rows are inserted and deleted between pages', async () => {
    for (const sort of ['', '&_sort=family', '&_sort=-birthdate', '&_sort=-family,birthdate']) {
      const before = await allPages('Patient', `family=pager${sort}&_count=1000`);
      let added = 0;
      const seen = await allPages('Patient', `family=pager${sort}&_count=4`, async (page) => {
        if (page === 1) {
          // One row before the cursor position, one after; delete a row not yet seen.
          await storeResources(db, [patient(`pg-new-${sort.length}-a`, 'Pageraa', '1900-01-01')]);
          await storeResources(db, [patient(`pg-new-${sort.length}-z`, 'Pagerzz', '2100-01-01')]);
          added += 2;
        }
      });
      expect(new Set(seen).size).toBe(seen.length);
      // Every row that existed throughout appears exactly once.
      for (const id of before) expect(seen).toContain(id);
      expect(seen.length).toBeLessThanOrEqual(before.length + added);
      await db.query(`DELETE FROM fhir_resource WHERE id LIKE 'pg-new-%'`);
      for (const suffix of ['a', 'z'])
        await deleteSearchRows(db, 'Patient', `pg-new-${sort.length}-${suffix}`);
    }
  });

  it('does not repeat or skip when a later row is deleted between pages', async () => {
    const seen = await allPages('Patient', 'family=pager&_count=10&_sort=family', async (page) => {
      if (page === 0) {
        await db.query(`UPDATE fhir_resource SET deleted = true WHERE id = 'pg-24'`);
        await deleteSearchRows(db, 'Patient', 'pg-24');
      }
    });
    expect(seen).toHaveLength(24);
    expect(new Set(seen).size).toBe(24);
    expect(seen).not.toContain('pg-24');
  });
});

describe('_summary, _elements', () => {
  it('_summary=count and _count=0 answer only the total', async () => {
    const count = await search('Patient', 'family=pager&_summary=count');
    expect(count.total).toBeGreaterThanOrEqual(24);
    expect(count.entry).toBeUndefined();
    expect((await search('Patient', 'family=pager&_count=0')).total).toBe(count.total);
  });
  it.skipIf(!hasSharedTestdata)('_elements keeps the listed elements and marks the subset', async () => {
    const b = await search('Patient', '_id=example&_elements=gender');
    const r = b.entry?.[0]?.resource as Patient;
    expect(r.gender).toBe('male');
    expect(r.name).toBeUndefined();
    expect(r.meta?.tag?.some((t) => t.code === 'SUBSETTED')).toBe(true);
  });
  it.skipIf(!hasSharedTestdata)(
    '_summary=true|data|text|false return the parts the R4 definitions name',
    async () => {
      const one = async (mode: string) =>
        (await search('Patient', `_id=example&_summary=${mode}`)).entry?.[0]?.resource as Patient;
      const full = await one('false');
      expect(full.contact).toBeDefined();
      expect(full.text).toBeDefined();
      expect(full.meta?.tag?.some((t) => t.code === 'SUBSETTED') ?? false).toBe(false);

      const summary = await one('true');
      expect(summary.name).toEqual(full.name);
      expect(summary.birthDate).toBe(full.birthDate);
      expect(summary.contact).toBeUndefined(); // Patient.contact is not a summary element
      expect(summary.text).toBeUndefined();
      expect(summary.meta?.tag?.some((t) => t.code === 'SUBSETTED')).toBe(true);

      const data = await one('data');
      expect(data.text).toBeUndefined();
      expect(data.contact).toEqual(full.contact);

      const text = await one('text');
      expect(text.text).toEqual(full.text);
      expect(text.name).toBeUndefined();
    },
  );
  it.skipIf(!hasSharedTestdata)(
    'keeps a choice element by its base name (value[x] as valueQuantity)',
    async () => {
      const all = await search('Observation', '_count=100');
      const withQuantity = (all.entry ?? [])
        .map((e) => e.resource as Resource & { valueQuantity?: unknown; code?: unknown })
        .find((r) => r.valueQuantity);
      if (!withQuantity?.id) throw new Error('no Observation with valueQuantity among the examples');
      const summary = (await search('Observation', `_id=${withQuantity.id}&_summary=true`)).entry?.[0]
        ?.resource as typeof withQuantity;
      expect(summary.valueQuantity).toEqual(withQuantity.valueQuantity);
      expect(summary.code).toEqual(withQuantity.code);
      const elements = (await search('Observation', `_id=${withQuantity.id}&_elements=value`)).entry?.[0]
        ?.resource as typeof withQuantity;
      expect(elements.valueQuantity).toEqual(withQuantity.valueQuantity);
      expect(elements.code).toBeUndefined();
    },
  );
});

describe.skipIf(!hasSharedTestdata)('_include and _revinclude', () => {
  it('includes referenced patients once, and reverse-includes encounters', async () => {
    const b = await search('Encounter', 'subject=Patient/f201&_include=Encounter:subject');
    expect(matchIds(b).length).toBeGreaterThanOrEqual(3);
    expect(includeKeys(b)).toEqual(['Patient/f201']);
    expect(b.entry?.[0]?.fullUrl).toBe(`${BASE}/Encounter/${matchIds(b)[0]}`);

    const viaAlias = await search('Encounter', 'subject=Patient/f201&_include=Encounter:patient');
    expect(includeKeys(viaAlias)).toEqual(['Patient/f201']);

    const typed = await search('Encounter', 'subject=Patient/f201&_include=Encounter:subject:Group');
    expect(includeKeys(typed)).toEqual([]);

    const rev = await search(
      'Patient',
      '_id=f201&_revinclude=Encounter:subject&_revinclude=Condition:patient',
    );
    expect(matchIds(rev)).toEqual(['f201']);
    const included = includeKeys(rev);
    expect(included).toEqual(expect.arrayContaining(['Encounter/f201', 'Encounter/f202', 'Condition/f201']));
  });

  it('follows :iterate', async () => {
    const b = await search(
      'Condition',
      '_id=f201&_include=Condition:encounter&_include:iterate=Encounter:subject',
    );
    expect(includeKeys(b)).toEqual(expect.arrayContaining(['Encounter/f201', 'Patient/f201']));
  });
});

describe.skipIf(!hasSharedTestdata)('access filter', () => {
  beforeAll(async () => {
    const secret: Resource[] = [
      patient('vip', 'Secretperson'),
      {
        resourceType: 'Encounter',
        id: 'vip-enc',
        status: 'finished',
        class: { code: 'AMB' },
        subject: { reference: 'Patient/vip' },
      },
    ];
    await storeResources(db, [secret[0] as Resource], { security: ['V'] });
    await storeResources(db, [secret[1] as Resource]);
    await storeResources(
      db,
      [
        {
          resourceType: 'Encounter',
          id: 'labelled-enc',
          status: 'finished',
          class: { code: 'AMB' },
          subject: { reference: 'Patient/f201' },
        },
      ],
      { security: ['PSY'] },
    );
  });

  it('hides labelled resources and the records of labelled patients, in pages and counts', async () => {
    const deny: SearchAccess = { deniedLabels: ['V', 'PSY'], allowedPatients: [] };
    expect(matchIds(await search('Patient', 'family=secretperson', deny))).toEqual([]);
    expect(matchIds(await search('Encounter', 'subject=vip', deny))).toEqual([]);
    expect(matchIds(await search('Encounter', 'subject=f201', deny))).not.toContain('labelled-enc');
    expect((await search('Encounter', 'subject=vip&_summary=count', deny)).total).toBe(0);
    expect(
      includeKeys(await search('Patient', '_id=f201&_revinclude=Encounter:subject', deny)),
    ).not.toContain('Encounter/labelled-enc');
    // Without denied labels everything shows.
    expect(matchIds(await search('Encounter', 'subject=vip'))).toEqual(['vip-enc']);
  });

  it('lets break-the-glass patients through', async () => {
    const glass: SearchAccess = { deniedLabels: ['V', 'PSY'], allowedPatients: ['vip'] };
    expect(matchIds(await search('Patient', 'family=secretperson', glass))).toEqual(['vip']);
    expect(matchIds(await search('Encounter', 'subject=vip', glass))).toEqual(['vip-enc']);
    expect(matchIds(await search('Encounter', 'subject=f201', glass))).not.toContain('labelled-enc');
  });
});
