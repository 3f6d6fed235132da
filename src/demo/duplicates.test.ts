import type { Patient } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { DUPLICATE_ERRORS, generatePatients, Rng } from './index.ts';
import type { DemoPatient, DuplicateError } from './index.ts';
import { typo } from './duplicates.ts';

function patientOf(record: DemoPatient): Patient {
  const resource = record.bundle.entry?.[0]?.resource;
  if (resource?.resourceType !== 'Patient') throw new Error('first entry is not the Patient');
  return resource;
}

describe('duplicates', () => {
  const records = [...generatePatients({ patients: 2000, seed: 99, duplicateRate: 0.25, lite: true })];
  const originals = records.filter((r) => !r.isDuplicate);
  const duplicates = records.filter((r) => r.isDuplicate);

  it('come at the requested rate and share the personId of their original', () => {
    expect(originals.length).toBe(2000);
    // Expected 500; the binomial spread at this size is about +-20.
    expect(duplicates.length).toBeGreaterThan(430);
    expect(duplicates.length).toBeLessThan(570);
    const personIds = new Set(originals.map((r) => r.personId));
    expect(personIds.size).toBe(2000);
    for (const d of duplicates) expect(personIds.has(d.personId)).toBe(true);
    const mrns = new Set(records.map((r) => r.mrn));
    expect(mrns.size).toBe(records.length);
    expect(records.filter((r) => r.isDuplicate === false).every((r) => r.errors.length === 0)).toBe(true);
    expect([...generatePatients({ patients: 300, seed: 99 })].every((r) => !r.isDuplicate)).toBe(true);
  });

  it('carry every kind of registration error, and the errors are really in the data', () => {
    const seen = new Map<DuplicateError, number>();
    for (const d of duplicates) for (const e of d.errors) seen.set(e, (seen.get(e) ?? 0) + 1);
    for (const kind of DUPLICATE_ERRORS) expect(seen.get(kind) ?? 0, kind).toBeGreaterThan(0);

    const originalByPerson = new Map(originals.map((r) => [r.personId, patientOf(r)]));
    let exact = 0;
    for (const d of duplicates) {
      const dup = patientOf(d);
      const orig = originalByPerson.get(d.personId);
      if (!orig) throw new Error('original missing');
      const name = (p: Patient): { given: string; family: string } => ({
        given: p.name?.[0]?.given?.[0] ?? '',
        family: p.name?.[0]?.family ?? '',
      });
      const a = name(orig);
      const b = name(dup);
      const nameErrors = d.errors.filter(
        (e) =>
          e.startsWith('name-') || e === 'nickname' || e === 'family-name-change' || e === 'swapped-names',
      );
      if (nameErrors.length === 0) expect(b).toEqual(a);
      else expect(b).not.toEqual(a);
      if (d.errors.includes('swapped-names') && nameErrors.length === 1)
        expect(b).toEqual({ given: a.family, family: a.given });
      const birthErrors = d.errors.filter((e) => e.startsWith('birth-date'));
      if (birthErrors.length === 0) expect(dup.birthDate).toBe(orig.birthDate);
      else expect(dup.birthDate).not.toBe(orig.birthDate);
      if (d.errors.includes('birth-date-day-month-swap') && birthErrors.length === 1) {
        const [y, m, day] = (orig.birthDate ?? '').split('-');
        expect(dup.birthDate).toBe(`${y}-${day}-${m}`);
      }
      if (d.errors.includes('missing-phone'))
        expect(dup.telecom?.some((t) => t.system === 'phone')).toBeFalsy();
      if (d.errors.includes('moved-address'))
        expect(dup.address?.[0]?.line).not.toEqual(orig.address?.[0]?.line);
      else expect(dup.address?.[0]?.line).toEqual(orig.address?.[0]?.line);
      if (d.errors.includes('missing-ssn'))
        expect(dup.identifier?.some((i) => i.system?.endsWith('us-ssn'))).toBe(false);
      if (d.errors.length === 0) exact += 1;
      // A different registration: a new MRN, fewer visits.
      expect(dup.identifier?.[0]?.value).not.toBe(orig.identifier?.[0]?.value);
      const visits = d.bundle.entry?.filter((e) => e.resource?.resourceType === 'Encounter').length ?? 0;
      expect(visits).toBeGreaterThanOrEqual(1);
      expect(visits).toBeLessThanOrEqual(2);
    }
    expect(exact).toBeGreaterThan(0);
  });

  it('makes typos of the named kinds', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 200; i++) {
      const transposed = typo(rng, 'Richardson', 'name-transposition');
      expect(transposed.length).toBe(10);
      expect([...transposed].sort().join('')).toBe([...'Richardson'].sort().join(''));
      expect(typo(rng, 'Richardson', 'name-dropped-letter').length).toBe(9);
      expect(typo(rng, 'Richardson', 'name-doubled-letter').length).toBe(11);
      const slipped = typo(rng, 'Richardson', 'name-keyboard-neighbour');
      expect(slipped.length).toBe(10);
      expect(slipped.charAt(0)).toBe('R');
      expect([...slipped].filter((c, k) => c !== 'Richardson'.charAt(k)).length).toBeLessThanOrEqual(1);
    }
  });
});
