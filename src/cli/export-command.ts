import type { Command } from 'commander';
import { exportToFolder, parseExportRequest } from '../bulk/index.ts';
import { FhirStore } from '../fhir/store.ts';
import { cliContext, openConfiguredDb } from './context.ts';
import { progressBar } from './progress.ts';

interface ExportOptions {
  type?: string;
  since?: string;
  typeFilter: string[];
  patients?: boolean;
  group?: string;
}

/**
 * `custodian export <folder>`: the Bulk Data export (src/bulk) from the command line, one
 * `<Type>.ndjson` per type, with a progress bar; `custodian import <folder>` reads it back.
 */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'Export records as NDJSON files, one per resource type (Bulk Data $export); `import` reads them back',
    )
    .argument('<folder>', 'folder to write <Type>.ndjson files into')
    .option('--type <types>', 'only these resource types, comma-separated (_type)')
    .option('--since <instant>', 'only records changed after this instant (_since)')
    .option(
      '--type-filter <search>',
      'keep only records of a type matching a search, e.g. "Observation?status=final" (_typeFilter; repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--patients', "every patient's chart only (Patient/$export)")
    .option('--group <id>', "a Group's members' charts only (Group/[id]/$export)")
    .action(async (folder: string, opts: ExportOptions) => {
      const pairs: Array<[string, string]> = [
        ...(opts.type ? [['_type', opts.type] as [string, string]] : []),
        ...(opts.since ? [['_since', opts.since] as [string, string]] : []),
        ...opts.typeFilter.map((f): [string, string] => ['_typeFilter', f]),
      ];
      const level = opts.group ? 'group' : opts.patients ? 'patient' : 'system';
      const request = parseExportRequest(level, pairs, opts.group ? { groupId: opts.group } : {});
      const db = await openConfiguredDb();
      const bar = progressBar('export');
      const started = performance.now();
      try {
        const summary = await exportToFolder(new FhirStore(db, cliContext()), request, folder, {
          onProgress: (p) => bar.update(p.done, p.total, p.type),
        });
        bar.stop();
        const seconds = (performance.now() - started) / 1000;
        console.log(
          `Exported ${summary.total.toLocaleString('en-US')} records in ${seconds.toFixed(1)} s to ${folder}:`,
        );
        for (const t of summary.types) console.log(`  ${t.type}.ndjson  ${t.count.toLocaleString('en-US')}`);
      } finally {
        bar.stop();
        await db.close();
      }
    });
}
