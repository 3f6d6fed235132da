import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoCodesetsDir } from '../app/config.ts';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../testing/test-db.ts';
import { codeSetsLoaded, loadCodeSets } from './loader.ts';
import { searchCodes } from './search.ts';
import type { LoadReport } from './types.ts';

let db: Db;
/** FY2026 ICD-10-CM: 74,719 codes plus the headers above them. */
const CM_2026_ROWS = 102739;
let first: LoadReport;
const progress: Array<[number, number]> = [];

beforeAll(async () => {
  db = await openTestDb();
  first = await loadCodeSets(db, repoCodesetsDir, (done, total) => progress.push([done, total]));
});
afterAll(async () => {
  await db.close();
});

describe('loadCodeSets on the release files in data/codesets', () => {
  it('loads every release found (ICD-10-CM, ICD-10-PCS, HCPCS), keyed by system and year', async () => {
    expect(first.files.map((f) => `${f.system}/${f.version}/${f.part}/${f.status}`).sort()).toEqual([
      'hcpcs/2020/entries/loaded',
      'icd10cm/2021/entries/loaded',
      'icd10cm/2021/tabular/loaded',
      'icd10cm/2026/entries/loaded',
      'icd10pcs/2026/entries/loaded',
    ]);
    expect(await codeSetsLoaded(db)).toEqual([
      { system: 'hcpcs', version: '2020', count: 7079 },
      { system: 'icd10cm', version: '2021', count: 95358 },
      { system: 'icd10cm', version: '2026', count: CM_2026_ROWS },
      { system: 'icd10pcs', version: '2026', count: 79115 },
    ]);
    const billable = await db.query<{ version: string; billable: boolean; n: string }>(
      `SELECT version, billable, count(*)::text AS n FROM code_entry WHERE system = 'icd10cm'
       GROUP BY version, billable ORDER BY version, billable`,
    );
    // FY2026 comes as a codes file (billable codes only); its headers are derived from the codes.
    expect(billable.rows).toEqual([
      { version: '2021', billable: false, n: '22737' },
      { version: '2021', billable: true, n: '72621' },
      { version: '2026', billable: false, n: String(CM_2026_ROWS - 74719) },
      { version: '2026', billable: true, n: '74719' },
    ]);
    const e11 = await db.query<{ billable: boolean; parent_key: string | null }>(
      `SELECT billable, parent_key FROM code_entry WHERE system = 'icd10cm' AND version = '2026' AND code_key = 'E116'`,
    );
    expect(e11.rows).toEqual([{ billable: false, parent_key: 'E11' }]);
    expect(progress.at(-1)?.[0]).toBe(progress.at(-1)?.[1]);
  });

  it('keeps the tabular hierarchy: 22 chapters, sections and every note kind', async () => {
    const groups = await db.query<{ level: string; n: string }>(
      `SELECT level, count(*)::text AS n FROM code_group GROUP BY level ORDER BY level`,
    );
    expect(groups.rows).toEqual([
      { level: 'chapter', n: '22' },
      { level: 'section', n: '296' },
    ]);
    const sevenDefs = await db.query<{ n: string }>(
      `SELECT count(DISTINCT owner_id)::text AS n FROM code_note WHERE kind = 'sevenChrDef'`,
    );
    expect(Number(sevenDefs.rows[0]?.n)).toBe(507);
    const excludes1 = await db.query<{ text: string }>(
      `SELECT text FROM code_note WHERE owner_level = 'code' AND owner_id = 'E11' AND kind = 'excludes1'`,
    );
    expect(excludes1.rows.map((r) => r.text)).toContain('type 1 diabetes mellitus (E10.-)');
  });

  it('reads HCPCS long descriptions across continuation lines, modifiers and dates', async () => {
    const rows = await db.query<{
      code: string;
      display: string;
      short_display: string;
      kind: string;
      valid_to: string | null;
    }>(
      `SELECT code, display, short_display, kind, to_char(valid_to, 'YYYY-MM-DD') AS valid_to FROM code_entry
       WHERE system = 'hcpcs' AND code IN ('E0114', 'RT', 'A4466') ORDER BY code`,
    );
    expect(rows.rows).toEqual([
      {
        code: 'A4466',
        display: expect.any(String) as string,
        short_display: expect.any(String) as string,
        kind: 'code',
        valid_to: '2016-12-31',
      },
      {
        code: 'E0114',
        display:
          'Crutches underarm, other than wood, adjustable or fixed, pair, with pads, tips and handgrips',
        short_display: 'Crutch underarm pair no wood',
        kind: 'code',
        valid_to: null,
      },
      {
        code: 'RT',
        display: expect.stringMatching(/^Right side/) as string,
        short_display: expect.any(String) as string,
        kind: 'modifier',
        valid_to: null,
      },
    ]);
  });

  it('is idempotent: loading again changes nothing', async () => {
    const before = await db.query<{ loaded_at: string }>(
      'SELECT loaded_at::text FROM code_set_file ORDER BY part, system',
    );
    const again = await loadCodeSets(db, repoCodesetsDir);
    expect(again.files.every((f) => f.status === 'unchanged')).toBe(true);
    const after = await db.query<{ loaded_at: string }>(
      'SELECT loaded_at::text FROM code_set_file ORDER BY part, system',
    );
    expect(after.rows).toEqual(before.rows);
    expect(await codeSetsLoaded(db)).toContainEqual({ system: 'icd10cm', version: '2021', count: 95358 });
  });

  it('loads a licensed code file in the simple tab-separated format, and replaces it when it changes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'custodian-codes-'));
    const file = join(dir, 'site-cpt.codes.tsv');
    await writeFile(
      file,
      '# system: cpt\n# version: 2024\ncode\tdisplay\n99213\tOffice visit, established patient, low\n99214\tOffice visit, established patient, moderate\n',
    );
    const report = await loadCodeSets(db, file);
    expect(report.files).toMatchObject([{ system: 'cpt', version: '2024', rows: 2, status: 'loaded' }]);
    await writeFile(file, '# system: cpt\n# version: 2024\n99213\tOffice visit, established patient, low\n');
    await loadCodeSets(db, dir);
    expect(await codeSetsLoaded(db)).toContainEqual({ system: 'cpt', version: '2024', count: 1 });
    const hits = await searchCodes(db, { q: 'established office visit', system: 'cpt' });
    expect(hits.map((h) => h.code)).toEqual(['99213']);
  });
});
