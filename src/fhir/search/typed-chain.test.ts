import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliContext } from '../../cli/context.ts';
import type { Db } from '../../db/index.ts';
import { openTestDb } from '../../testing/test-db.ts';
import { flushAudit } from '../audit-trail.ts';
import { isOutcomeError } from '../outcomes.ts';
import { FhirStore } from '../store.ts';
import type { Criterion } from './typed.ts';

/** Typed chained and reverse-chained criteria: one SQL join, as `subject:Patient._has:...` would be. */
describe('typed chain and _has criteria', () => {
  let db: Db;
  let store: FhirStore;
  const records: Resource[] = [
    { resourceType: 'Organization', id: 'tc-payer', name: 'Payer' },
    { resourceType: 'Patient', id: 'tc-covered' },
    { resourceType: 'Patient', id: 'tc-other' },
    {
      resourceType: 'Coverage',
      id: 'tc-cov',
      status: 'active',
      beneficiary: { reference: 'Patient/tc-covered' },
      payor: [{ reference: 'Organization/tc-payer' }],
    },
    // Once covered by the payer (cancelled), now by another: the payer's active coverage it is not.
    { resourceType: 'Organization', id: 'tc-payer-2', name: 'Another payer' },
    { resourceType: 'Patient', id: 'tc-lapsed' },
    {
      resourceType: 'Coverage',
      id: 'tc-cov-lapsed',
      status: 'cancelled',
      beneficiary: { reference: 'Patient/tc-lapsed' },
      payor: [{ reference: 'Organization/tc-payer' }],
    },
    {
      resourceType: 'Coverage',
      id: 'tc-cov-now',
      status: 'active',
      beneficiary: { reference: 'Patient/tc-lapsed' },
      payor: [{ reference: 'Organization/tc-payer-2' }],
    },
    {
      resourceType: 'Encounter',
      id: 'tc-e1',
      status: 'finished',
      class: { code: 'IMP' },
      subject: { reference: 'Patient/tc-covered' },
    },
    {
      resourceType: 'Encounter',
      id: 'tc-e2',
      status: 'finished',
      class: { code: 'AMB' },
      subject: { reference: 'Patient/tc-other' },
    },
    {
      resourceType: 'Condition',
      id: 'tc-c1',
      subject: { reference: 'Patient/tc-covered' },
      encounter: { reference: 'Encounter/tc-e1' },
    },
    {
      resourceType: 'Condition',
      id: 'tc-c2',
      subject: { reference: 'Patient/tc-other' },
      encounter: { reference: 'Encounter/tc-e2' },
    },
  ];
  beforeAll(async () => {
    db = await openTestDb();
    store = new FhirStore(db, cliContext());
    for (const r of records) await store.update(r.resourceType, r.id ?? '', r);
  });
  afterAll(async () => {
    await flushAudit(db);
    await db.close();
  });

  const ids = async (type: string, where: Criterion[]): Promise<string[]> =>
    (await store.findAll({ type, where })).matches.map((r) => r.id ?? '').sort();
  const byPayer: Criterion = {
    param: 'subject',
    chain: {
      type: 'Patient',
      where: {
        param: 'beneficiary',
        has: { type: 'Coverage', where: { param: 'payor', references: ['Organization/tc-payer'] } },
      },
    },
  };

  it('selects the records of the patients a payer covers', async () => {
    expect(await ids('Encounter', [byPayer])).toEqual(['tc-e1']);
    expect(await ids('Condition', [byPayer])).toEqual(['tc-c1']);
    expect(
      await ids('Patient', [
        {
          param: 'beneficiary',
          has: { type: 'Coverage', where: { param: 'status', tokens: [{ code: 'active' }] } },
        },
      ]),
    ).toEqual(['tc-covered', 'tc-lapsed']);
  });

  it('holds several criteria of a chain or _has to the same record (an active Coverage of the payer)', async () => {
    const payor = { param: 'payor', references: ['Organization/tc-payer'] };
    const active = { param: 'status', tokens: [{ code: 'active' }] };
    const covered = async (where: Criterion | Criterion[]): Promise<string[]> =>
      ids('Patient', [{ param: 'beneficiary', has: { type: 'Coverage', where } }]);
    expect(await covered(payor)).toEqual(['tc-covered', 'tc-lapsed']);
    // tc-lapsed has a Coverage of the payer and an active Coverage, but not both in one.
    expect(await covered([payor, active])).toEqual(['tc-covered']);
    expect(await covered([payor, { ...active, not: true }])).toEqual(['tc-lapsed']);
    const inpatientFinished: Criterion = {
      param: 'encounter',
      chain: {
        type: 'Encounter',
        where: [
          { param: 'class', tokens: [{ code: 'IMP' }] },
          { param: 'status', tokens: [{ code: 'finished' }] },
        ],
      },
    };
    expect(await ids('Condition', [inpatientFinished])).toEqual(['tc-c1']);
    const none = await store
      .findAll({ type: 'Patient', where: [{ param: 'beneficiary', has: { type: 'Coverage', where: [] } }] })
      .catch((e: unknown) => e);
    expect(isOutcomeError(none) && none.status).toBe(400);
  });

  it('chains through an encounter criterion', async () => {
    const amb: Criterion = {
      param: 'encounter',
      chain: { type: 'Encounter', where: { param: 'class', tokens: [{ code: 'AMB' }] } },
    };
    expect(await ids('Condition', [amb])).toEqual(['tc-c2']);
  });

  it('refuses a chain or _has through a reference that cannot point there', async () => {
    const refused = async (where: Criterion[]): Promise<number | undefined> => {
      try {
        await store.findAll({ type: 'Condition', where });
      } catch (e) {
        return isOutcomeError(e) ? e.status : undefined;
      }
      return undefined;
    };
    expect(
      await refused([
        { param: 'encounter', chain: { type: 'Patient', where: { param: '_id', tokens: [{ code: 'x' }] } } },
      ]),
    ).toBe(400);
    expect(
      await refused([
        { param: 'beneficiary', has: { type: 'Coverage', where: { param: '_id', tokens: [{ code: 'x' }] } } },
      ]),
    ).toBe(400);
  });
});
