import { basename } from 'node:path';
import type { Command } from 'commander';
import { importFiles } from '../bulk/import.ts';
import { reindexSearch } from '../fhir/reindex.ts';
import { FhirStore } from '../fhir/store.ts';
import { loadDemoData } from '../app/demo-loader.ts';
import { cliContext, openConfiguredDb } from './context.ts';
import { progressBar } from './progress.ts';

export function registerDataCommands(program: Command): void {
  program
    .command('import')
    .description(
      'Import FHIR JSON (resources, batch/transaction bundles) and NDJSON files or folders; safe to re-run',
    )
    .argument('<paths...>', 'files or folders')
    .action(async (paths: string[]) => {
      const db = await openConfiguredDb();
      const bar = progressBar('import');
      const started = performance.now();
      try {
        const report = await importFiles(new FhirStore(db, cliContext()), paths, (done, total, file) =>
          bar.update(done, total, basename(file)),
        );
        bar.stop();
        const seconds = (performance.now() - started) / 1000;
        console.log(
          `Imported ${count(report.resources, 'resource')} from ${count(report.files, 'file')} in ` +
            `${seconds.toFixed(1)} s (${Math.round(report.resources / Math.max(seconds, 0.001))} a second); ` +
            `${count(report.failures.length, 'failure')}.`,
        );
        for (const f of report.failures.slice(0, 50))
          console.log(`  FAILED ${f.file} ${f.where}: ${f.message}`);
        if (report.failures.length > 50) console.log(`  ... and ${report.failures.length - 50} more`);
        if (report.failures.length > 0) process.exitCode = 2;
      } finally {
        bar.stop();
        await db.close();
      }
    });

  program
    .command('demo')
    .description('Load seeded synthetic hospital data (patients, encounters, diagnoses, notes)')
    .option('--patients <n>', 'number of patients', '300')
    .option('--seed <s>', 'random seed', '1')
    .option('--duplicates <rate>', 'share of extra duplicate patient records with typos (0..1)', '0')
    .action(async (opts: { patients: string; seed: string; duplicates: string }) => {
      const patients = Number(opts.patients);
      const seed = Number(opts.seed);
      const duplicateRate = Number(opts.duplicates);
      if (!Number.isInteger(patients) || patients < 1)
        throw new Error('--patients must be a positive whole number');
      if (!Number.isInteger(seed)) throw new Error('--seed must be a whole number');
      if (!(duplicateRate >= 0 && duplicateRate <= 1))
        throw new Error('--duplicates must be between 0 and 1');
      const db = await openConfiguredDb();
      const bar = progressBar('demo');
      try {
        const n = await loadDemoData(
          new FhirStore(db, cliContext()),
          { patients, seed, duplicateRate },
          (d, t) => bar.update(d, t),
        );
        bar.stop();
        console.log(`Loaded ${n.patients} patient records (${n.resources} resources).`);
      } finally {
        bar.stop();
        await db.close();
      }
    });

  program
    .command('reindex')
    .description('Rebuild the search index from the stored records (after an upgrade); safe to re-run')
    .option('--type <ResourceType>', 'only this resource type')
    .action(async (opts: { type?: string }) => {
      const db = await openConfiguredDb();
      const bar = progressBar('reindex');
      try {
        const { resources } = await reindexSearch(db, cliContext(), {
          type: opts.type,
          onProgress: (done, total) => bar.update(done, total),
        });
        bar.stop();
        console.log(`Search index rebuilt for ${resources} resources.`);
      } finally {
        bar.stop();
        await db.close();
      }
    });
}

/** `1 file`, `2 files`: the import summary is read by people. */
function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
