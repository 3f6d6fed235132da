/**
 * `custodian registry ...`: NAACCR XML export of a reporting period, import of a NAACCR XML
 * file, and loading the site's ICD-O-3 lists. Thin: reads and writes files, calls the module.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Db } from '../db/index.ts';
import { FhirStore } from '../fhir/store.ts';
import type { RequestContext } from '../fhir/request-context.ts';
import { exportPeriod, importDocument, parsePeriod } from './exchange.ts';
import { loadIcdO3 } from './icdo3.ts';

type OpenDb = () => Promise<Db>;

async function withStore<T>(
  openDb: OpenDb,
  ctx: RequestContext,
  work: (store: FhirStore) => Promise<T>,
): Promise<T> {
  const db = await openDb();
  try {
    return await work(new FhirStore(db, ctx));
  } finally {
    await db.close();
  }
}

/** `ctx`: who the command acts as (the command line's local system user), audited under that name. */
export function registerRegistryCommands(program: Command, openDb: OpenDb, ctx: () => RequestContext): void {
  const registry = program
    .command('registry')
    .description('Cancer registry: NAACCR XML export and import, ICD-O-3 lists');
  registry
    .command('export')
    .description('Write the completed abstracts diagnosed in a period as one NAACCR XML document')
    .requiredOption('--from <YYYY-MM-DD>', 'first day of the reporting period')
    .requiredOption('--to <YYYY-MM-DD>', 'last day of the reporting period')
    .requiredOption('--out <file.xml>', 'where to write the document')
    .action(async (options: { from: string; to: string; out: string }) => {
      const period = parsePeriod(options.from, options.to);
      const { xml, counts } = await withStore(openDb, ctx(), (store) => exportPeriod(store, period));
      await writeFile(options.out, xml);
      console.log(
        `Wrote ${options.out}: ${counts.patients} patients, ${counts.completed} tumours (${counts.open} abstracts of the period still open).`,
      );
    });
  registry
    .command('import <file>')
    .description('Read a NAACCR XML document into the registry')
    .action(async (file: string) => {
      const xml = await readFile(file, 'utf8');
      const result = await withStore(openDb, ctx(), (store) => importDocument(store, xml));
      console.log(
        `Imported ${result.patients} patients (${result.createdPatients} new), ${result.tumors} tumours` +
          (result.skippedItems.length
            ? `; items not abstracted here were left out: ${result.skippedItems.join(', ')}`
            : '.'),
      );
    });
  registry
    .command('load-icdo3')
    .description("Load the site's ICD-O-3 topography and/or morphology lists (code and label per line)")
    .option('--topography <file>', 'topography codes (C50.9 Breast, NOS)')
    .option('--morphology <file>', 'morphology codes (8500/3 Infiltrating duct carcinoma)')
    .action(async (options: { topography?: string; morphology?: string }) => {
      const db = await openDb();
      try {
        if (options.topography)
          console.log(
            `Topography: ${await loadIcdO3(db, 'site', await readFile(options.topography, 'utf8'))} codes.`,
          );
        if (options.morphology)
          console.log(
            `Morphology: ${await loadIcdO3(db, 'histology', await readFile(options.morphology, 'utf8'))} codes.`,
          );
      } finally {
        await db.close();
      }
    });
}
