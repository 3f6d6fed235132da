import { createHash } from 'node:crypto';
import type { Condition, Encounter } from '@medplum/fhirtypes';
import type { Db } from '../db/index.ts';
import type { RequestContext } from '../fhir/request-context.ts';
import { FhirStore } from '../fhir/store.ts';
import { finalizeEncounterCoding, getEncounterCoding, saveEncounterCoding } from './workflow.ts';
import { referencedId } from '../fhir/definitions.ts';

/**
 * The demo's coding department at work: before a director first opens the reports, the coders
 * have coded most visits discharged in the past year, each through the workflow's own save and
 * finalize (so the work items, tags, Claims and override log are exactly what real coding
 * writes), at a time a few days after discharge. Recent visits are partly coded, the newest not
 * yet: that is the DNFB. Seeded by encounter id: the same data and date give the same coding.
 */

/** The demo's coders (user names as the work items record them). */
export const DEMO_CODERS = ['rkhan', 'mlopez', 'tnguyen', 'jokafor'] as const;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Visits discharged longer ago than this are left as they are (old history, never coded here). */
const LOOKBACK_DAYS = 365;
const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';

/** Why a coder overrides an edit, as a coding manager would read it in the quality report. */
const OVERRIDE_REASONS: Readonly<Record<string, string>> = {
  'age-conflict': 'Perinatal condition documented by the attending as still present',
  excludes1: 'Type 1 and type 2 both documented; physician query sent, coded as documented',
};

function hashOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0) / 4294967296;
}

/** What the coders have done with a visit `age` days after discharge: nothing, coded, or final. */
function progressAt(encounterId: string, ageDays: number): 'uncoded' | 'coded' | 'final' {
  const x = hashOf(`progress|${encounterId}`);
  const [final, coded] =
    ageDays > 30 ? [0.93, 0.03] : ageDays > 7 ? [0.75, 0.1] : ageDays >= 2 ? [0.3, 0.25] : [0, 0];
  return x < final ? 'final' : x < final + coded ? 'coded' : 'uncoded';
}

function contextFor(coder: string): RequestContext {
  return {
    userId: `demo-${coder}`,
    username: coder,
    role: 'coder',
    purpose: 'HOPERAT',
    sourceAddress: 'local',
    tokenId: 'first-start',
    brokenGlassPatients: [],
  };
}

/** The clinicians' diagnoses in the Encounter's rank order: the coder's principal is the first. */
async function rankedDiagnoses(store: FhirStore, encounter: Encounter): Promise<string[]> {
  const ranked = [...(encounter.diagnosis ?? [])].sort((a, b) => (a.rank ?? 99) - (b.rank ?? 99));
  const ids = ranked.map((d) => referencedId(d.condition, 'Condition')).filter(Boolean);
  const conditions = (await store.readMany('Condition', ids as string[])) as Condition[];
  const byId = new Map(conditions.map((c) => [c.id, c]));
  const codes: string[] = [];
  for (const id of ids) {
    const code = byId.get(id)?.code?.coding?.find((c) => c.system === ICD10CM)?.code;
    if (code && !codes.includes(code)) codes.push(code);
  }
  return codes;
}

/** Codes (and, when its progress says so, finalizes) one visit as `coder` at `at`. */
async function codeVisit(
  db: Db,
  store: FhirStore,
  encounter: Encounter,
  at: number,
  finalize: boolean,
): Promise<'coded' | 'final'> {
  const id = encounter.id ?? '';
  const view = await getEncounterCoding(db, store, id);
  // Already worked on (a second run, or a coder got there first): left as it is.
  if (view.state !== 'uncoded') return view.state;
  const inpatient = view.encounter.class === 'inpatient';
  const diagnoses = (await rankedDiagnoses(store, encounter)).map((code, i) => ({
    code,
    principal: i === 0,
    ...(inpatient ? { poa: 'Y' } : {}),
  }));
  if (diagnoses.length === 0) return 'coded';
  // Some charts document what the edits question (both diabetes types; a perinatal condition in
  // an adult): the coder codes it as documented and overrides the edit with a reason, which is
  // what the coding quality report follows.
  const quality = hashOf(`quality|${id}`);
  const poa = inpatient ? { poa: 'Y' } : {};
  if (quality < 0.2 && diagnoses.some((d) => d.code.startsWith('E11')))
    diagnoses.push({ code: 'E10.9', principal: false, ...poa });
  else if (quality > 0.94 && view.patient.age >= 18)
    diagnoses.push({ code: 'P07.30', principal: false, ...poa });
  const procedures = view.documented.procedures
    .filter((p) => p.code)
    .map((p) => ({ code: p.code, date: p.date ?? view.encounter.admit.slice(0, 10) }));
  const saved = await saveEncounterCoding(
    db,
    store,
    id,
    { diagnoses, procedures },
    new Date(at).toISOString(),
  );
  if (!finalize) return 'coded';
  const errors = saved.edits.filter((e) => e.severity === 'error');
  // A hard stop waits for a correction (the case stays coded, in the DNFB); others are overridden.
  if (errors.some((e) => e.hardStop === true)) return 'coded';
  const overrides = errors.map((e) => ({
    kind: e.kind,
    codes: e.codes,
    reason: OVERRIDE_REASONS[e.kind] ?? 'Reviewed against the documentation; coded as documented',
  }));
  await finalizeEncounterCoding(db, store, id, { overrides }, new Date(at + 2 * HOUR_MS).toISOString());
  return 'final';
}

export interface DemoCodingSummary {
  coded: number;
  final: number;
}

/**
 * Codes the demo's visits discharged in the year before `asOf` as the demo coders would have by
 * then (code sets must be loaded: without them every case stops at a hard edit). Returns how
 * many were left coded and how many final.
 */
export async function seedDemoCoding(
  db: Db,
  system: FhirStore,
  asOf = new Date(),
): Promise<DemoCodingSummary> {
  const since = new Date(asOf.getTime() - LOOKBACK_DAYS * DAY_MS).toISOString().slice(0, 10);
  const { matches } = await system.findAll({
    type: 'Encounter',
    where: [
      { param: 'status', tokens: [{ code: 'finished' }] },
      { param: 'date', date: since, prefix: 'ge' },
    ],
  });
  const stores = new Map(DEMO_CODERS.map((c) => [c, new FhirStore(db, contextFor(c))]));
  const summary: DemoCodingSummary = { coded: 0, final: 0 };
  for (const encounter of matches as Encounter[]) {
    const id = encounter.id ?? '';
    const discharged = Date.parse(encounter.period?.end ?? '');
    if (Number.isNaN(discharged) || discharged > asOf.getTime()) continue;
    const progress = progressAt(id, Math.floor((asOf.getTime() - discharged) / DAY_MS));
    if (progress === 'uncoded') continue;
    // One to five days after discharge, in working hours, and never after asOf.
    const delay = (1 + Math.floor(hashOf(`delay|${id}`) * 5)) * DAY_MS + 9 * HOUR_MS;
    const at = Math.min(discharged + delay, asOf.getTime() - 3 * HOUR_MS);
    const coder = DEMO_CODERS[Math.floor(hashOf(`coder|${id}`) * DEMO_CODERS.length)] ?? DEMO_CODERS[0];
    const store = stores.get(coder)!;
    summary[await codeVisit(db, store, encounter, at, progress === 'final')] += 1;
  }
  return summary;
}
