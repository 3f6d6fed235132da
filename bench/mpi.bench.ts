/**
 * MPI linkage benchmark: FEBRL de-duplication and linking quality (precision, recall, F1 against
 * the rec_id truth, which the model never sees), and a scale run on seeded synthetic patients.
 * Run: npx tsx bench/mpi.bench.ts [--sizes 100000,1000000]   Writes bench/results/mpi.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedTestdataDir } from '../src/app/config.ts';
import { evaluatePairs, linkRecords, readFebrlFile } from '../src/mpi/index.ts';
import type { LinkageQuality, LinkResult, PersonRecord } from '../src/mpi/index.ts';
import { seededRandom } from '../src/mpi/random.ts';
import { measureMemory, type MemoryFigures } from './memory.ts';

const THRESHOLD = 0.9;

interface RunReport extends LinkageQuality {
  name: string;
  mode: 'dedupe' | 'link';
  records: number;
  candidatePairs: number;
  seconds: number;
  /** This run's own peak (the kernel's high-water mark reset before it), heap after GC. */
  peakRssMb: number;
  memory: MemoryFigures;
  emIterations: number;
}

function report(
  name: string,
  records: number,
  result: LinkResult,
  quality: LinkageQuality,
  seconds: number,
  memory: MemoryFigures,
): RunReport {
  return {
    name,
    mode: result.mode,
    records,
    candidatePairs: result.candidatePairs,
    ...quality,
    seconds: Math.round(seconds * 100) / 100,
    peakRssMb: Math.round(memory.peakRssMb),
    memory,
    emIterations: result.model.iterations,
  };
}

/** Linkage timed as before, inside the memory measurement. */
async function measuredLinkage(
  a: PersonRecord[],
  b: PersonRecord[] | undefined,
): Promise<{ result: LinkResult; seconds: number; memory: MemoryFigures }> {
  let seconds = 0;
  const { value: result, memory } = await measureMemory(() => {
    const t = performance.now();
    const linked = linkRecords(a, b, { threshold: THRESHOLD });
    seconds = (performance.now() - t) / 1000;
    return linked;
  });
  return { result, seconds, memory };
}

async function dedupe(
  name: string,
  records: PersonRecord[],
  entityOf?: (id: string) => string,
): Promise<RunReport> {
  const { result, seconds, memory } = await measuredLinkage(records, undefined);
  const ids = records.map((r) => r.id);
  const found = result.pairs.map((p) => [ids[p.a] ?? '', ids[p.b] ?? ''] as const);
  return report(
    name,
    records.length,
    result,
    evaluatePairs(found, ids, undefined, entityOf),
    seconds,
    memory,
  );
}

async function link(name: string, a: PersonRecord[], b: PersonRecord[]): Promise<RunReport> {
  const { result, seconds, memory } = await measuredLinkage(a, b);
  const found = result.pairs.map((p) => [a[p.a]?.id ?? '', b[p.b]?.id ?? ''] as const);
  const quality = evaluatePairs(
    found,
    a.map((r) => r.id),
    b.map((r) => r.id),
  );
  return report(name, a.length + b.length, result, quality, seconds, memory);
}

// ---------------------------------------------------------------------------------------------
// Synthetic patients: seeded, with realistic skew (common names are common) and typical errors.

const GIVEN = (
  'james mary john patricia robert jennifer michael linda william elizabeth david barbara richard susan joseph jessica ' +
  'thomas sarah charles karen christopher nancy daniel lisa matthew betty anthony margaret mark sandra donald ashley ' +
  'steven kimberly paul emily andrew donna joshua michelle kenneth dorothy kevin carol brian amanda george melissa ' +
  'edward deborah ronald stephanie timothy rebecca jason sharon jeffrey laura ryan cynthia jacob kathleen gary amy ' +
  'nicholas shirley eric angela jonathan helen stephen anna larry brenda justin pamela scott nicole brandon emma ' +
  'benjamin samantha samuel katherine gregory christine frank debra alexander rachel raymond catherine patrick carolyn ' +
  'jack janet dennis ruth jerry maria tyler heather aaron diane jose virginia adam julie henry joyce nathan victoria ' +
  'douglas olivia zachary kelly peter christina kyle lauren walter joan ethan evelyn jeremy judith harold megan keith ' +
  'cheryl christian andrea roger hannah noah martha gerald jacqueline carl frances terry gloria sean ann austin teresa ' +
  'arthur kathryn lawrence sara jesse janice dylan jean bryan alice joe madison jordan doris billy abigail bruce julia ' +
  'albert judy willie grace gabriel denise logan amber alan marilyn juan beverly wayne danielle roy theresa ralph sophia ' +
  'randy marie eugene diana vincent brittany russell natalie elijah isabella louis charlotte bobby rose philip alexis ' +
  'johnny kayla lachlan harley mitchell madeline isabelle kirra aloysius deakin brinley aleisha jenna rosie joel'
).split(' ');
const NICK: Readonly<Record<string, string>> = {
  william: 'bill',
  robert: 'bob',
  margaret: 'peggy',
  richard: 'dick',
  elizabeth: 'liz',
  james: 'jim',
  thomas: 'tom',
  michael: 'mike',
  katherine: 'kate',
  joseph: 'joe',
  patricia: 'pat',
  jennifer: 'jenny',
  susan: 'sue',
  edward: 'ted',
};
const ONSET =
  'b br c ch cl d dr f fl g gr h j k kl l m mc n p pr r s sh st t th tr v w wh y z ab al an ar el er in or ul'.split(
    ' ',
  );
const NUCLEUS = 'a e i o u ai ea ee ie oo ou ay ey'.split(' ');
const CODA =
  'n r s t l m nd rt son ton ley man ford wood well sby ridge field worth ham ling ers ett ard ick in'.split(
    ' ',
  );
const STREET_TYPES =
  'street road avenue place crescent drive court circuit close lane parade terrace way grove'.split(' ');
const STATES = ['nsw', 'vic', 'qld', 'wa', 'sa', 'tas', 'act', 'nt'];

type Random = () => number;

function pick<T>(random: Random, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

/**
 * An index in [0, n) drawn with P(k) proportional to 1 / (k + c): a Zipf-like skew where c sets how
 * common the most common value is (given names: top ~5 %, surnames ~0.8 %, localities ~2 %).
 */
function skewed(random: Random, n: number, c: number): number {
  return Math.min(n - 1, Math.floor(c * Math.pow((n + c) / c, random()) - c));
}

function syllableWord(seed: number): string {
  const r = seededRandom(seed * 7919 + 17);
  const syllables = 1 + Math.floor(r() * 2);
  let w = '';
  for (let s = 0; s < syllables; s++) w += pick(r, ONSET) + pick(r, NUCLEUS);
  return w + pick(r, CODA);
}

/** A pool of distinct made-up words, stable for a seed. */
function wordPool(size: number, seed: number): string[] {
  const seen = new Set<string>();
  for (let i = 0; seen.size < size && i < size * 20; i++) seen.add(syllableWord(seed * 1_000_003 + i));
  return [...seen];
}

interface Pools {
  surnames: string[];
  streets: string[];
  localities: string[];
}

function makePools(records: number): Pools {
  return {
    surnames: wordPool(Math.min(150_000, Math.max(2000, Math.floor(records / 6))), 1),
    streets: wordPool(20_000, 2),
    localities: wordPool(3000, 3),
  };
}

function typo(random: Random, s: string): string {
  if (s.length < 2) return s;
  const i = Math.floor(random() * s.length);
  const letter = String.fromCharCode(97 + Math.floor(random() * 26));
  switch (Math.floor(random() * 4)) {
    case 0:
      return s.slice(0, i) + letter + s.slice(i + 1);
    case 1:
      return s.slice(0, i) + letter + s.slice(i);
    case 2:
      return s.slice(0, i) + s.slice(i + 1);
    default:
      return i + 1 < s.length ? s.slice(0, i) + s.charAt(i + 1) + s.charAt(i) + s.slice(i + 2) : s;
  }
}

function original(random: Random, pools: Pools, id: string): PersonRecord {
  const year = 1920 + Math.floor(random() * 100);
  const month = 1 + Math.floor(random() * 12);
  const day = 1 + Math.floor(random() * 28);
  const locality = skewed(random, pools.localities.length, 10);
  return {
    id,
    givenName: GIVEN[skewed(random, GIVEN.length, 5)],
    familyName: pools.surnames[skewed(random, pools.surnames.length, 20)],
    birthDate: `${year}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`,
    streetNumber: String(1 + Math.floor(random() * 250)),
    addressLine1: `${pick(random, pools.streets)} ${pick(random, STREET_TYPES)}`,
    locality: pools.localities[locality],
    postcode: String(2000 + ((locality * 7) % 7000)),
    state: STATES[locality % STATES.length],
    identifier: random() < 0.8 ? String(1_000_000 + Math.floor(random() * 8_999_999)) : '',
    phone: random() < 0.5 ? '04' + String(Math.floor(random() * 1e8)).padStart(8, '0') : '',
  };
}

/** A duplicate of r with one to three of the errors registration clerks make. */
function duplicate(random: Random, r: PersonRecord, id: string): PersonRecord {
  const d: PersonRecord = { ...r, id };
  const errors = 1 + Math.floor(random() * 3);
  for (let e = 0; e < errors; e++) {
    switch (Math.floor(random() * 10)) {
      case 0:
        d.givenName = typo(random, d.givenName ?? '');
        break;
      case 1:
        d.familyName = typo(random, d.familyName ?? '');
        break;
      case 2:
        d.givenName = NICK[d.givenName ?? ''] ?? typo(random, d.givenName ?? '');
        break;
      case 3: {
        const b = d.birthDate ?? '';
        d.birthDate =
          random() < 0.5
            ? b.slice(0, 4) + b.slice(6, 8) + b.slice(4, 6)
            : typo(random, b).replace(/[a-z]/g, '1');
        break;
      }
      case 4:
        [d.givenName, d.familyName] = [d.familyName, d.givenName];
        break;
      case 5:
        d.identifier = random() < 0.5 ? '' : typo(random, d.identifier ?? '').replace(/[a-z]/g, '7');
        break;
      case 6:
        d.addressLine1 = typo(random, d.addressLine1 ?? '');
        break;
      case 7:
        d.postcode = typo(random, d.postcode ?? '').replace(/[a-z]/g, '3');
        break;
      case 8:
        d.phone = '';
        d.streetNumber = '';
        break;
      default:
        d.locality = typo(random, d.locality ?? '');
        break;
    }
  }
  return d;
}

/** n synthetic patients, about 20 % of them duplicates of another; id = "p<person>-<k>". */
export function syntheticPatients(n: number, seed = 7): PersonRecord[] {
  const random = seededRandom(seed);
  const pools = makePools(n);
  const out: PersonRecord[] = [];
  let person = 0;
  while (out.length < n) {
    const o = original(random, pools, `p${person}-0`);
    out.push(o);
    if (random() < 0.2) {
      const copies = random() < 0.8 ? 1 : 2;
      for (let k = 1; k <= copies && out.length < n; k++) out.push(duplicate(random, o, `p${person}-${k}`));
    }
    person++;
  }
  return out;
}

function syntheticEntity(id: string): string {
  return id.slice(0, id.indexOf('-'));
}

// ---------------------------------------------------------------------------------------------

export interface MpiBenchOptions {
  /** Synthetic scale runs, in records (default 100,000 and 1,000,000). */
  sizes?: number[];
  log?: (line: string) => void;
}

export async function runMpiBench(options: MpiBenchOptions = {}): Promise<object> {
  const log = options.log ?? ((line: string) => console.log(line));
  const sizes = options.sizes ?? [100_000, 1_000_000];
  const runs: RunReport[] = [];
  const dir = join(sharedTestdataDir(), 'febrl');
  for (const n of [1, 2, 3]) {
    const records = await readFebrlFile(join(dir, `febrl-dataset${n}.csv`));
    runs.push(await dedupe(`febrl${n} dedupe`, records));
    const originals = records.filter((r) => r.id.endsWith('-org'));
    const duplicates = records.filter((r) => !r.id.endsWith('-org'));
    runs.push(await link(`febrl${n} link org-dup`, originals, duplicates));
    log(`done febrl${n}`);
  }
  for (const size of sizes) {
    const t = performance.now();
    const records = syntheticPatients(size);
    const generated = (performance.now() - t) / 1000;
    log(`generated ${size} synthetic patients in ${generated.toFixed(1)} s`);
    runs.push(await dedupe(`synthetic ${size} dedupe`, records, syntheticEntity));
  }
  const result = {
    threshold: THRESHOLD,
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    runs,
  };
  const resultsDir = resolve(fileURLToPath(new URL('.', import.meta.url)), 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'mpi.json'), JSON.stringify(result, null, 2) + '\n');
  log('');
  log(
    'run                          records  cand.pairs  true pairs  precision  recall     F1     seconds  peak RSS MB',
  );
  for (const r of runs) {
    log(
      `${r.name.padEnd(28)} ${String(r.records).padStart(7)} ${String(r.candidatePairs).padStart(11)} ${String(r.truePairs).padStart(11)}` +
        `  ${r.precision.toFixed(4).padStart(9)} ${r.recall.toFixed(4).padStart(7)} ${r.f1.toFixed(4).padStart(7)} ${r.seconds.toFixed(1).padStart(10)} ${String(r.peakRssMb).padStart(12)}`,
    );
  }
  return result;
}

function sizesFromArgs(argv: string[]): number[] | undefined {
  const at = argv.indexOf('--sizes');
  const value = at >= 0 ? argv[at + 1] : undefined;
  return value
    ? value
        .split(',')
        .map(Number)
        .filter((n) => n > 0)
    : undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runMpiBench({ sizes: sizesFromArgs(process.argv) });
}
