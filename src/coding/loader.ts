import type { Db, Queryable } from '../db/index.ts';
import { invalidateCodeCache } from './cache.ts';
import { decode, findReleaseFiles, readRelease, type ReleaseFile } from './load/release-files.ts';
import { parseCodesFile } from './load/codes-file.ts';
import { parseHcpcsFile } from './load/hcpcs-file.ts';
import { parseOrderFile } from './load/order-file.ts';
import type { EntryRecord, GroupRecord, NoteRecord, ParsedFile } from './load/records.ts';
import { parseSimpleFile } from './load/simple-file.ts';
import { parseTabularXml } from './load/tabular-file.ts';
import { isCodeSystemId } from './systems.ts';
import type { CodeSetSummary, LoadedFile, LoadReport, ProgressFn } from './types.ts';

const BATCH = 5000;

/**
 * Loads official release files (a folder searched recursively, or one file; plain, gzipped or the
 * HCPCS zip) into the code tables. Each file is one transaction that replaces its own slice of
 * (system, version); a file whose bytes were loaded before is skipped, so re-running changes nothing.
 */
export async function loadCodeSets(db: Db, path: string, onProgress?: ProgressFn): Promise<LoadReport> {
  const started = Date.now();
  const { files, skipped } = await findReleaseFiles(path);
  const prepared: Array<{ file: ReleaseFile; sha256: string; parsed: ParsedFile }> = [];
  for (const file of files) {
    const { sha256, content } = await readRelease(file);
    prepared.push({ file, sha256, parsed: parseRelease(file, decode(content, file.kind)) });
  }
  const total = prepared.reduce((n, p) => n + rowCount(p.parsed), 0);
  let done = 0;
  const report: LoadedFile[] = [];
  for (const { file, sha256, parsed } of prepared) {
    const rows = rowCount(parsed);
    const base = { file: file.path, system: parsed.system, version: parsed.version, part: parsed.part, rows };
    const known = await db.query<{ sha256: string }>(
      'SELECT sha256 FROM code_set_file WHERE system = $1 AND version = $2 AND part = $3',
      [parsed.system, parsed.version, parsed.part],
    );
    if (known.rows[0]?.sha256 === sha256) {
      done += rows;
      onProgress?.(done, total, `${label(parsed)} unchanged`);
      report.push({ ...base, status: 'unchanged' });
      continue;
    }
    await db.transaction(async (tx) => {
      await writeParsed(tx, parsed, (n) => {
        done += n;
        onProgress?.(done, total, label(parsed));
      });
      await tx.query(
        `INSERT INTO code_set_file (system, version, part, file_name, sha256, row_count) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (system, version, part) DO UPDATE SET file_name = EXCLUDED.file_name, sha256 = EXCLUDED.sha256,
           row_count = EXCLUDED.row_count, loaded_at = now()`,
        [parsed.system, parsed.version, parsed.part, file.path.split('/').pop() ?? file.path, sha256, rows],
      );
    });
    report.push({ ...base, status: 'loaded' });
  }
  invalidateCodeCache(db);
  return { files: report, skipped, millis: Date.now() - started };
}

/** Code sets in the database with their number of codes and headers. */
export async function codeSetsLoaded(db: Db): Promise<CodeSetSummary[]> {
  const res = await db.query<{ system: string; version: string; count: string | number }>(
    'SELECT system, version, count(*) AS count FROM code_entry GROUP BY system, version ORDER BY system, version',
  );
  return res.rows
    .filter((r) => isCodeSystemId(r.system))
    .map((r) => ({
      system: r.system as CodeSetSummary['system'],
      version: r.version,
      count: Number(r.count),
    }));
}

function parseRelease(file: ReleaseFile, text: string): ParsedFile {
  const year = file.year ?? '';
  switch (file.kind) {
    case 'icd10cm-order':
      return { part: 'entries', system: 'icd10cm', version: year, entries: parseOrderFile(text, 'icd10cm') };
    case 'icd10pcs-order':
      return {
        part: 'entries',
        system: 'icd10pcs',
        version: year,
        entries: parseOrderFile(text, 'icd10pcs'),
      };
    case 'icd10cm-codes':
      return { part: 'entries', system: 'icd10cm', version: year, entries: parseCodesFile(text, 'icd10cm') };
    case 'icd10pcs-codes':
      return {
        part: 'entries',
        system: 'icd10pcs',
        version: year,
        entries: parseCodesFile(text, 'icd10pcs'),
      };
    case 'icd10cm-tabular': {
      const { groups, notes } = parseTabularXml(text);
      return { part: 'tabular', system: 'icd10cm', version: year, groups, notes };
    }
    case 'hcpcs-zip':
    case 'hcpcs-text':
      return { part: 'entries', system: 'hcpcs', version: year, entries: parseHcpcsFile(text) };
    case 'simple': {
      const { system, version, entries } = parseSimpleFile(text);
      return { part: 'entries', system, version, entries };
    }
  }
}

function rowCount(parsed: ParsedFile): number {
  return parsed.part === 'entries' ? parsed.entries.length : parsed.groups.length + parsed.notes.length;
}

function label(parsed: ParsedFile): string {
  return `${parsed.system} ${parsed.version} ${parsed.part === 'entries' ? 'codes' : 'notes'}`;
}

async function writeParsed(tx: Queryable, parsed: ParsedFile, progress: (n: number) => void): Promise<void> {
  const key = [parsed.system, parsed.version];
  if (parsed.part === 'entries') {
    await tx.query('DELETE FROM code_entry WHERE system = $1 AND version = $2', key);
    for (let i = 0; i < parsed.entries.length; i += BATCH) {
      const batch = parsed.entries.slice(i, i + BATCH);
      await insertEntries(tx, parsed.system, parsed.version, batch);
      progress(batch.length);
    }
    return;
  }
  await tx.query('DELETE FROM code_group WHERE system = $1 AND version = $2', key);
  await tx.query('DELETE FROM code_note WHERE system = $1 AND version = $2', key);
  await insertGroups(tx, parsed.system, parsed.version, parsed.groups);
  progress(parsed.groups.length);
  for (let i = 0; i < parsed.notes.length; i += BATCH) {
    const batch = parsed.notes.slice(i, i + BATCH);
    await insertNotes(tx, parsed.system, parsed.version, batch);
    progress(batch.length);
  }
}

// unnest() inserts a whole batch in one statement: one round trip instead of thousands.
async function insertEntries(
  tx: Queryable,
  system: string,
  version: string,
  rows: EntryRecord[],
): Promise<void> {
  await tx.query(
    `INSERT INTO code_entry (system, version, code_key, code, display, short_display, billable, kind, parent_key,
       sort_order, valid_from, valid_to)
     SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[],
       $9::text[], $10::int[], $11::date[], $12::date[])`,
    [
      system,
      version,
      rows.map((r) => r.key),
      rows.map((r) => r.code),
      rows.map((r) => r.display),
      rows.map((r) => r.shortDisplay),
      rows.map((r) => r.billable),
      rows.map((r) => r.kind),
      rows.map((r) => r.parentKey),
      rows.map((r) => r.order),
      rows.map((r) => r.validFrom),
      rows.map((r) => r.validTo),
    ],
  );
}

async function insertGroups(
  tx: Queryable,
  system: string,
  version: string,
  rows: GroupRecord[],
): Promise<void> {
  await tx.query(
    `INSERT INTO code_group (system, version, level, group_id, title, first_code, last_code, parent_id, sort_order)
     SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[])`,
    [
      system,
      version,
      rows.map((r) => r.level),
      rows.map((r) => r.id),
      rows.map((r) => r.title),
      rows.map((r) => r.first),
      rows.map((r) => r.last),
      rows.map((r) => r.parentId),
      rows.map((r) => r.order),
    ],
  );
}

async function insertNotes(
  tx: Queryable,
  system: string,
  version: string,
  rows: NoteRecord[],
): Promise<void> {
  await tx.query(
    `INSERT INTO code_note (system, version, owner_level, owner_id, kind, seq, chr, text)
     SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[])`,
    [
      system,
      version,
      rows.map((r) => r.ownerLevel),
      rows.map((r) => r.ownerId),
      rows.map((r) => r.kind),
      rows.map((r) => r.seq),
      rows.map((r) => r.chr),
      rows.map((r) => r.text),
    ],
  );
}
