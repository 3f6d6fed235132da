import type { Bundle } from '@medplum/fhirtypes';
import type { DemoCodes } from './codes.ts';
import { makeDuplicate } from './duplicates.ts';
import type { DuplicateError } from './duplicates.ts';
import { makePerson } from './person.ts';
import { Rng, weighted } from './prng.ts';
import { buildRecord } from './record.ts';
import { recordContext } from './record-context.ts';

export interface DemoOptions {
  /** Distinct people to generate; duplicates come on top (about patients * duplicateRate). */
  patients: number;
  seed: number;
  /** Expected number of extra duplicate records per person, 0..1 (default 0). */
  duplicateRate?: number;
  /** Billable codes from loaded code sets; without them a small built-in list is used. */
  codes?: DemoCodes;
  /** First day of the period the visits fall in (YYYY-MM-DD, default 2022-01-01). */
  startDate?: string;
  /** Length of that period in years (default 3). Ages are computed at its end. */
  years?: number;
  /** Skip observations and notes: patients, visits, diagnoses, procedures, medications only. */
  lite?: boolean;
}

export interface DemoPatient {
  /** A FHIR R4 transaction Bundle: the Patient first, then the visits and their resources. */
  bundle: Bundle;
  /** Ground truth: records of the same real person share this id. */
  personId: string;
  isDuplicate: boolean;
  /** The MRN of this record. */
  mrn: string;
  /** For duplicates: the registration errors that set it apart from the original. */
  errors: DuplicateError[];
}

/** Stream ids, so that each part of a person draws from its own independent sequence. */
const STREAM = {
  person: 1,
  original: 2,
  originalExtras: 3,
  duplicateCount: 4,
  duplicate: 16,
  duplicateExtras: 32,
} as const;

const ENCOUNTERS = weighted<number>([
  [1, 30],
  [2, 25],
  [3, 18],
  [4, 12],
  [5, 9],
  [6, 6],
]);

/** Up to two duplicates per person; a tenth of those who get one get a second. */
const MAX_DUPLICATES = 2;

/**
 * Streams synthetic patient records, one transaction Bundle per Patient record. Person `i`
 * depends only on (seed, i): the same seed gives byte-identical output, lite output is the full
 * output without observations and notes, and the duplicate rate does not change the originals.
 */
export function* generatePatients(options: DemoOptions): Generator<DemoPatient> {
  checkOptions(options);
  const ctx = recordContext(options);
  const rate = options.duplicateRate ?? 0;
  const mrns = mrnPermutation(options.seed, options.patients * (MAX_DUPLICATES + 1));
  const width = String(options.patients).length;
  for (let i = 0; i < options.patients; i++) {
    const personId = `person-${String(i + 1).padStart(Math.max(6, width), '0')}`;
    const person = makePerson(new Rng(options.seed, i, STREAM.person), personId, ctx.windowEnd);
    const mrn = mrns(i * (MAX_DUPLICATES + 1));
    const bundle = buildRecord(
      ctx,
      new Rng(options.seed, i, STREAM.original),
      new Rng(options.seed, i, STREAM.originalExtras),
      {
        person,
        demographics: person.demographics,
        mrn,
        encounters: new Rng(options.seed, i, STREAM.original, 1).pickWeighted(ENCOUNTERS),
        original: true,
      },
    );
    yield { bundle, personId, isDuplicate: false, mrn, errors: [] };
    // A later registration of someone who died cannot have visits after the death.
    const first = bundle.entry?.[0]?.resource;
    const deceased = first?.resourceType === 'Patient' ? first.deceasedDateTime : undefined;
    const duplicates = duplicateCount(new Rng(options.seed, i, STREAM.duplicateCount), rate);
    for (let k = 1; k <= duplicates; k++) {
      const rng = new Rng(options.seed, i, STREAM.duplicate + k);
      const { demographics, errors } = makeDuplicate(rng, person.demographics, person.sex);
      const dupMrn = mrns(i * (MAX_DUPLICATES + 1) + k);
      const dupBundle = buildRecord(ctx, rng, new Rng(options.seed, i, STREAM.duplicateExtras + k), {
        person,
        demographics,
        mrn: dupMrn,
        encounters: rng.chance(0.7) ? 1 : 2,
        original: false,
        ...(deceased ? { before: Date.parse(deceased) } : {}),
      });
      yield { bundle: dupBundle, personId, isDuplicate: true, mrn: dupMrn, errors };
    }
  }
}

function checkOptions(options: DemoOptions): void {
  if (!Number.isInteger(options.patients) || options.patients < 0)
    throw new RangeError('patients must be a non-negative integer');
  if (!Number.isInteger(options.seed)) throw new RangeError('seed must be an integer');
  const rate = options.duplicateRate ?? 0;
  if (!(rate >= 0 && rate <= 1)) throw new RangeError('duplicateRate must be between 0 and 1');
  if (options.years !== undefined && !(options.years > 0)) throw new RangeError('years must be positive');
}

/** Expected value `rate`: one duplicate with probability rate/1.1, a second one a tenth of the time. */
function duplicateCount(rng: Rng, rate: number): number {
  if (rate <= 0 || !rng.chance(rate / 1.1)) return 0;
  return rng.chance(0.1) ? 2 : 1;
}

/**
 * MRNs look random but never repeat: an affine permutation of the record slot over 10^w numbers
 * (the multiplier is coprime to 10, so the map is a bijection). Seven digits while they suffice.
 */
function mrnPermutation(seed: number, slots: number): (slot: number) => string {
  const width = Math.max(7, String(Math.max(slots - 1, 0)).length);
  const modulus = 10 ** width;
  const rng = new Rng(seed, 0x4d524e);
  let multiplier = rng.int(1_000_003, 9_999_999);
  while (multiplier % 2 === 0 || multiplier % 5 === 0) multiplier += 1;
  const offset = rng.int(0, modulus - 1);
  const big = BigInt(modulus);
  const a = BigInt(multiplier);
  const c = BigInt(offset);
  return (slot) => `M${((BigInt(slot) * a + c) % big).toString().padStart(width, '0')}`;
}
