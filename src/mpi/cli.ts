/**
 * `custodian mpi ...` commands. Thin: reads files, calls linkRecords, writes the pairs CSV.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { access } from 'node:fs/promises';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Db } from '../db/db.ts';
import { InputFileError, readFebrlFile } from './febrl.ts';
import { linkRecords } from './link.ts';
import type { LinkResult, LinkStage } from './link.ts';
import type { PersonRecord } from './types.ts';
import { DEFAULT_THRESHOLDS } from './model.ts';

/** Runs with at least this many records get a progress bar. */
const PROGRESS_MIN_RECORDS = 20_000;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function probabilityArg(value: string): number {
  const p = Number(value);
  if (!Number.isFinite(p) || p < 0 || p > 1)
    throw new InvalidArgumentError('must be a probability between 0 and 1');
  return p;
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
}

/** Writes rec_id_a,rec_id_b,match_probability rows, best first. */
async function writePairs(
  path: string,
  result: LinkResult,
  a: readonly PersonRecord[],
  b: readonly PersonRecord[],
): Promise<void> {
  const out = createWriteStream(path);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  const pairs = [...result.pairs].sort(
    (x, y) => y.matchProbability - x.matchProbability || x.a - y.a || x.b - y.b,
  );
  const write = async (line: string): Promise<void> => {
    if (!out.write(line)) await Promise.race([once(out, 'drain'), failed]);
  };
  await write('rec_id_a,rec_id_b,match_probability\n');
  for (const p of pairs) {
    await write(
      `${csvField(a[p.a]?.id ?? '')},${csvField(b[p.b]?.id ?? '')},${p.matchProbability.toFixed(6)}\n`,
    );
  }
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
}

function progressBar(records: number): ((stage: LinkStage, done: number, total: number) => void) | undefined {
  if (records < PROGRESS_MIN_RECORDS) return undefined;
  const bar = new SingleBar(
    { format: '{stage} [{bar}] {value}/{total}', stream: process.stderr },
    Presets.shades_classic,
  );
  let current: LinkStage | undefined;
  return (stage, done, total) => {
    if (stage !== current) {
      if (current !== undefined) bar.stop();
      current = stage;
      // Comparing has no known total up front; the bar then shows pairs compared so far.
      bar.start(Math.max(total, done), done, { stage: stage.padEnd(11) });
    }
    if (done > bar.getTotal()) bar.setTotal(done);
    bar.update(done, { stage: stage.padEnd(11) });
    if (stage === 'score' && done === total) bar.stop();
  };
}

export interface LinkCommandOptions {
  input: string[];
  out: string;
  threshold: number;
}

/** The work of `mpi link`, separate from commander so errors stay values until the edge. */
export async function runLinkCommand(
  options: LinkCommandOptions,
  log: (line: string) => void,
): Promise<LinkResult> {
  if (options.input.length < 1 || options.input.length > 2) {
    throw new InputFileError(`give one --input to de-duplicate or two to link (got ${options.input.length})`);
  }
  try {
    await access(dirname(options.out));
  } catch {
    throw new InputFileError(`output folder does not exist: ${dirname(options.out)}`);
  }
  const [fileA = '', fileB] = options.input;
  const a = await readFebrlFile(fileA);
  const b = fileB === undefined ? undefined : await readFebrlFile(fileB);
  const started = performance.now();
  const result = linkRecords(a, b, {
    threshold: options.threshold,
    onProgress: progressBar(a.length + (b?.length ?? 0)),
  });
  await writePairs(options.out, result, a, b ?? a);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  log(
    `${result.mode === 'link' ? `linked ${a.length} to ${b?.length ?? 0}` : `de-duplicated ${a.length}`} records: ` +
      `${result.candidatePairs} candidate pairs compared, ${result.pairs.length} pairs >= ${options.threshold} ` +
      `written to ${options.out} (${seconds} s)`,
  );
  return result;
}

/**
 * Registers `mpi link`. openDb is for the store-backed commands to come ($match, worklists);
 * batch linkage of files needs no database.
 */
export function registerMpiCommands(program: Command, openDb: () => Promise<Db>): void {
  void openDb;
  const mpi = program.command('mpi').description('master patient index: record linkage and duplicates');
  mpi
    .command('link')
    .description(
      'de-duplicate one FEBRL-layout CSV file, or link two; writes rec_id_a,rec_id_b,match_probability',
    )
    .requiredOption('--input <file>', 'input CSV (FEBRL columns); give twice to link two files', collect, [])
    .requiredOption('--out <file>', 'output CSV of matched pairs')
    .option(
      '--threshold <p>',
      'lowest match probability written',
      probabilityArg,
      DEFAULT_THRESHOLDS.autoLink,
    )
    .action(async (options: LinkCommandOptions, command: Command) => {
      try {
        await runLinkCommand(options, (line) => process.stdout.write(line + '\n'));
      } catch (err) {
        if (err instanceof InputFileError)
          command.error(`error: ${err.message}`, { exitCode: 2, code: 'custodian.input' });
        throw err;
      }
    });
}
