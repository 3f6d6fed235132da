import type { Encounter, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliContext } from '../../cli/context.ts';
import type { Db } from '../../db/index.ts';
import { openTestDb } from '../../testing/test-db.ts';
import { flushAudit } from '../audit-trail.ts';
import type { RequestContext } from '../request-context.ts';
import { FhirStore } from '../store.ts';
import type { SearchSpec } from './typed.ts';

/**
 * A broad search (index slices joined by hash, page and total in one pass) answers exactly what
 * the ordinary typed search does: the same records in the same order (sort values NULLS LAST,
 * then id), the same total, under the same access filter.
 */
describe('broad typed search', () => {
  let db: Db;
  let system: FhirStore;
  let coder: FhirStore;
  const N = 40;

  /** Encounters with periods of every shape: open, missing, shared ends (id decides), several types. */
  function encounter(i: number): Encounter {
    const day = String(1 + (i % 9)).padStart(2, '0');
    const period =
      i % 11 === 0
        ? undefined
        : i % 7 === 0
          ? { start: `2025-03-${day}T08:00:00Z` }
          : { start: `2025-03-${day}T08:00:00Z`, end: `2025-04-${String(1 + (i % 5)).padStart(2, '0')}` };
    const types = [`svc-${i % 4}`, ...(i % 3 === 0 ? [`svc-${(i + 2) % 6}`] : [])];
    return {
      resourceType: 'Encounter',
      id: `bs-e${String(i).padStart(2, '0')}`,
      status: i % 10 === 9 ? 'planned' : 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: i % 2 ? 'IMP' : 'AMB' },
      type: types.map((code) => ({ coding: [{ system: 'urn:test:service', code }] })),
      subject: { reference: `Patient/bs-p${i % 6}` },
      ...(period ? { period } : {}),
      // A restricted visit and a restricted patient: hidden from the coder either way.
      ...(i === 13 ? { meta: { security: [{ system: 'urn:test', code: 'R' }] } } : {}),
    };
  }

  beforeAll(async () => {
    db = await openTestDb();
    system = new FhirStore(db, cliContext());
    const coderContext: RequestContext = { ...cliContext(), role: 'coder', username: 'bs-coder' };
    coder = new FhirStore(db, coderContext);
    const records: Resource[] = [];
    for (let p = 0; p < 6; p++) {
      const patient: Patient = { resourceType: 'Patient', id: `bs-p${p}`, name: [{ family: `Broad${p}` }] };
      if (p === 5) patient.meta = { security: [{ system: 'urn:test', code: 'V' }] };
      records.push(patient);
    }
    for (let i = 0; i < N; i++) records.push(encounter(i));
    for (const r of records) await system.update(r.resourceType, r.id ?? '', r);
    await system.delete('Encounter', 'bs-e21');
  });
  afterAll(async () => {
    await flushAudit(db);
    await db.close();
  });

  const sorts: Array<NonNullable<SearchSpec['sort']>> = [
    [],
    [{ param: 'date', end: true }],
    [{ param: 'date', end: true, descending: true }],
    [{ param: 'date' }],
    [{ param: 'date', descending: true }],
    [{ param: 'type' }, { param: 'date', end: true }],
    [{ param: 'type', descending: true }, { param: 'class' }],
    [{ param: '_lastUpdated', descending: true }],
    [{ param: '_id', descending: true }],
  ];
  const wheres: Array<SearchSpec['where']> = [
    [{ param: 'status', tokens: [{ code: 'finished' }] }],
    [
      { param: 'status', tokens: [{ code: 'finished' }] },
      { param: 'date', date: '9999-12-31', prefix: 'eb' },
      { param: 'class', tokens: [{ code: 'AMB' }], not: true },
    ],
    [{ param: 'subject', chain: { type: 'Patient', where: { param: 'family', strings: ['broad1'] } } }],
  ];

  const ids = (rs: Resource[]): string[] => rs.map((r) => r.id ?? '');

  it('pages, orders and counts as the ordinary search does, for every sort', async () => {
    for (const store of [system, coder]) {
      for (const where of wheres) {
        for (const sort of sorts) {
          const spec: SearchSpec = { type: 'Encounter', where, sort };
          const all = ids((await store.findAll({ ...spec, count: 1000 })).matches);
          expect(all.length).toBeGreaterThan(2);
          expect(await store.count(spec, { broad: true })).toBe(all.length);
          for (const offset of [0, 3, all.length - 2]) {
            const page = await store.find({ ...spec, count: 5, offset }, { broad: true });
            expect(ids(page.matches), JSON.stringify({ sort, where, offset })).toEqual(
              all.slice(offset, offset + 5),
            );
            expect(page.total).toBe(all.length);
          }
          const past = await store.find({ ...spec, count: 5, offset: all.length + 3 }, { broad: true });
          expect(past.matches).toEqual([]);
          expect(past.total).toBe(all.length);
        }
      }
    }
  });

  it('hides what the caller may not see and reads includes', async () => {
    const spec: SearchSpec = { type: 'Encounter', sort: [{ param: 'date', end: true }], count: 100 };
    const everything = ids((await system.find(spec, { broad: true })).matches);
    const shown = await coder.find({ ...spec, include: [{ param: 'subject' }] }, { broad: true });
    expect(everything).toContain('bs-e13');
    expect(everything).not.toContain('bs-e21');
    expect(ids(shown.matches)).not.toContain('bs-e13');
    expect(ids(shown.matches).some((id) => Number(id.slice(4)) % 6 === 5)).toBe(false);
    expect(shown.total).toBe(shown.matches.length);
    expect(new Set(ids(shown.included))).toEqual(new Set(['bs-p0', 'bs-p1', 'bs-p2', 'bs-p3', 'bs-p4']));
  });
});
