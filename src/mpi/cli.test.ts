import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { hasSharedTestdata, sharedTestdata } from '../testing/shared-testdata.ts';
import { openTestDb } from '../testing/test-db.ts';
import { registerMpiCommands } from './cli.ts';

const dataset1 = sharedTestdata('febrl', 'febrl-dataset1.csv');

function program(): { program: Command; errors: string[] } {
  const errors: string[] = [];
  const p = new Command('custodian')
    .exitOverride()
    .configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined });
  registerMpiCommands(p, openTestDb);
  return { program: p, errors };
}

function readPairs(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(','));
}

describe.skipIf(!hasSharedTestdata)('custodian mpi link', () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodian-mpi-'));

  it('de-duplicates one file into rec_id_a,rec_id_b,match_probability', async () => {
    const out = join(dir, 'pairs.csv');
    await program().program.parseAsync(['mpi', 'link', '--input', dataset1, '--out', out], { from: 'user' });
    const [header, ...rows] = readPairs(out);
    expect(header).toEqual(['rec_id_a', 'rec_id_b', 'match_probability']);
    expect(rows.length).toBeGreaterThan(490);
    expect(rows.length).toBeLessThan(510);
    for (const [a, b, p] of rows) {
      expect(a).toMatch(/^rec-\d+-/);
      expect(b).toMatch(/^rec-\d+-/);
      expect(Number(p)).toBeGreaterThanOrEqual(0.9);
    }
    const correct = rows.filter(([a, b]) => a?.split('-')[1] === b?.split('-')[1]).length;
    expect(correct / rows.length).toBeGreaterThan(0.99);
  });

  it('links two files and honours --threshold', async () => {
    const lines = readFileSync(dataset1, 'utf8').trim().split('\n');
    const header = lines[0] ?? '';
    const fileA = join(dir, 'a.csv');
    const fileB = join(dir, 'b.csv');
    writeFileSync(fileA, [header, ...lines.slice(1).filter((l) => l.includes('-org,'))].join('\n'));
    writeFileSync(fileB, [header, ...lines.slice(1).filter((l) => l.includes('-dup-'))].join('\n'));
    const out = join(dir, 'linked.csv');
    await program().program.parseAsync(
      ['mpi', 'link', '--input', fileA, '--input', fileB, '--out', out, '--threshold', '0.99'],
      { from: 'user' },
    );
    const rows = readPairs(out).slice(1);
    expect(rows.length).toBeGreaterThan(480);
    for (const [a, b, p] of rows) {
      expect(a).toMatch(/-org$/);
      expect(b).toMatch(/-dup-/);
      expect(Number(p)).toBeGreaterThanOrEqual(0.99);
    }
  });

  it('fails readably on a missing file, wrong columns and a bad threshold', async () => {
    const missing = program();
    const err = await missing.program
      .parseAsync(['mpi', 'link', '--input', join(dir, 'nope.csv'), '--out', join(dir, 'x.csv')], {
        from: 'user',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommanderError);
    expect((err as CommanderError).exitCode).toBe(2);
    expect(missing.errors.join('')).toContain('not found');

    const wrong = join(dir, 'wrong.csv');
    writeFileSync(wrong, 'id,name\n1,x\n');
    const columns = program();
    const err2 = await columns.program
      .parseAsync(['mpi', 'link', '--input', wrong, '--out', join(dir, 'y.csv')], { from: 'user' })
      .catch((e: unknown) => e);
    expect((err2 as CommanderError).exitCode).toBe(2);
    expect(columns.errors.join('')).toMatch(/missing column\(s\) rec_id, given_name/);

    const threshold = program();
    const err3 = await threshold.program
      .parseAsync(['mpi', 'link', '--input', dataset1, '--out', join(dir, 'z.csv'), '--threshold', '2'], {
        from: 'user',
      })
      .catch((e: unknown) => e);
    expect((err3 as CommanderError).exitCode).toBe(1);
    expect(threshold.errors.join('')).toContain('between 0 and 1');
  });

  it('exits non-zero with a message when run as a process', () => {
    // The script lives outside the repository, so it names its imports by absolute URL.
    const script = join(dir, 'run.mts');
    const commander = pathToFileURL(createRequire(import.meta.url).resolve('commander')).href;
    writeFileSync(
      script,
      `import { Command } from ${JSON.stringify(commander)};\n` +
        `import { registerMpiCommands } from ${JSON.stringify(pathToFileURL(resolve('src/mpi/cli.ts')).href)};\n` +
        `const p = new Command('custodian');\n` +
        `registerMpiCommands(p, () => Promise.reject(new Error('no database needed')));\n` +
        `await p.parseAsync(process.argv.slice(2), { from: 'user' });\n`,
    );
    const run = (args: string[]): ReturnType<typeof spawnSync> =>
      spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
        cwd: resolve('.'),
        encoding: 'utf8',
        timeout: 60_000,
      });
    const failed = run(['mpi', 'link', '--input', join(dir, 'missing.csv'), '--out', join(dir, 'o.csv')]);
    expect(failed.status).toBe(2);
    expect(failed.stderr).toContain('input file not found');
    const ok = run(['mpi', 'link', '--input', dataset1, '--out', join(dir, 'o.csv')]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/de-duplicated 1000 records: \d+ candidate pairs compared, \d+ pairs >= 0.9/);
    expect(readPairs(join(dir, 'o.csv'))[0]).toEqual(['rec_id_a', 'rec_id_b', 'match_probability']);
  });
});
