import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoCodesetsDir } from '../app/config.ts';
import type { Db } from '../db/index.ts';
import { openTestDb } from '../testing/test-db.ts';
import { isOutcomeError } from '../fhir/outcomes.ts';
import { validateCoding } from './edits.ts';
import { loadCodeSets } from './loader.ts';
import { codeNotes } from './notes.ts';
import { registerCodingRoutes } from './routes.ts';
import { searchCodes } from './search.ts';
import type { CodingRequest, Edit } from './types.ts';

// Search, notes, edits and routes share one database with the real release files loaded once.
let db: Db;
let app: FastifyInstance;
const routes: RouteOptions[] = [];

beforeAll(async () => {
  db = await openTestDb();
  await loadCodeSets(db, repoCodesetsDir);
  app = Fastify();
  app.setErrorHandler((err, _req, reply) => {
    if (isOutcomeError(err)) return reply.code(err.status).send(err.outcome);
    return reply.code(500).send({ message: String(err) });
  });
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  registerCodingRoutes(app, { db });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await db.close();
});

const base: Omit<CodingRequest, 'diagnoses'> = {
  setting: 'inpatient',
  patient: { age: 54, sex: 'male' },
  admitDate: '2021-03-01',
  dischargeDate: '2021-03-04',
  procedures: [],
};

async function edits(
  diagnoses: CodingRequest['diagnoses'],
  extra: Partial<CodingRequest> = {},
): Promise<Edit[]> {
  return (await validateCoding(db, { ...base, diagnoses, ...extra })).edits;
}

async function firstBillable(where: string, params: unknown[]): Promise<string> {
  const res = await db.query<{ code: string }>(
    `SELECT code FROM code_entry WHERE system = 'icd10cm' AND version = '2021' AND billable AND ${where} ORDER BY sort_order LIMIT 1`,
    params,
  );
  if (!res.rows[0]) throw new Error(`no code for ${where}`);
  return res.rows[0].code;
}

describe('searchCodes', () => {
  it('puts E11.9 in the first three for "type 2 diabetes without complications"', async () => {
    const hits = await searchCodes(db, { q: 'type 2 diabetes without complications' });
    expect(hits.slice(0, 3).map((h) => h.code)).toContain('E11.9');
    expect(hits[0]).toMatchObject({ system: 'icd10cm', version: '2026', billable: true });
  });

  it('finds words in any order', async () => {
    const hits = await searchCodes(db, { q: 'complications without diabetes 2 type', limit: 3 });
    expect(hits.map((h) => h.code)).toContain('E11.9');
  });

  it('finds by code prefix with or without the dot', async () => {
    const dotted = await searchCodes(db, { q: 'E11.', limit: 10 });
    expect(dotted.map((h) => h.code).slice(0, 2)).toEqual(['E11', 'E11.0']);
    expect(dotted.every((h) => h.code.startsWith('E11'))).toBe(true);
    expect(dotted.every((h) => h.system === 'icd10cm')).toBe(true);
    const plain = await searchCodes(db, { q: 'E119', system: 'icd10cm' });
    expect(plain.map((h) => h.code)).toEqual(['E11.9']);
    const hcpcs = await searchCodes(db, { q: 'E0114', system: 'hcpcs' });
    expect(hcpcs[0]).toMatchObject({ code: 'E0114', billable: true });
  });

  it('tolerates typos', async () => {
    const hits = await searchCodes(db, { q: 'diabetis mellitus type 2', limit: 5 });
    expect(hits.map((h) => h.code)).toContain('E11.9');
    const single = await searchCodes(db, { q: 'diabetis', limit: 10 });
    expect(single.length).toBeGreaterThan(0);
    expect(single.every((h) => /diabet/i.test(h.display))).toBe(true);
  });

  it('filters by system and fiscal year, and answers nothing for a year not loaded', async () => {
    const hits = await searchCodes(db, { q: 'crutches', system: 'hcpcs' });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.system === 'hcpcs')).toBe(true);
    expect(await searchCodes(db, { q: 'diabetes', fy: '2019' })).toEqual([]);
  });
});

/**
 * What a coder types -> the code that must be in the first three (ICD-10-CM FY2026, the newest
 * loaded): common terms, their abbreviations (coder-terms.ts) and detailed phrases.
 */
const RANKING: Array<[string, string]> = [
  ['hypertension', 'I10'],
  ['essential hypertension', 'I10'],
  ['htn', 'I10'],
  ['sepsis', 'A41.9'],
  ['copd exacerbation', 'J44.1'],
  ['copd', 'J44.9'],
  ['chf', 'I50.9'],
  ['congestive heart failure', 'I50.9'],
  ['heart failure', 'I50.9'],
  ['uti', 'N39.0'],
  ['urinary tract infection', 'N39.0'],
  ['dm2', 'E11.9'],
  ['type 2 diabetes', 'E11.9'],
  ['type 2 diabetes without complications', 'E11.9'],
  ['mi', 'I21.9'],
  ['myocardial infarction', 'I21.9'],
  ['afib', 'I48.91'],
  ['atrial fibrillation', 'I48.91'],
  ['pneumonia', 'J18.9'],
  ['cap', 'J18.9'],
  ['ckd', 'N18.9'],
  ['chronic kidney disease', 'N18.9'],
  ['aki', 'N17.9'],
  ['acute kidney injury', 'N17.9'],
  ['hyperlipidemia', 'E78.5'],
  ['hld', 'E78.5'],
  ['gerd', 'K21.9'],
  ['asthma', 'J45.909'],
  ['depression', 'F32.A'],
  ['mdd', 'F32.9'],
  ['anxiety', 'F41.9'],
  ['obesity', 'E66.9'],
  ['hypothyroidism', 'E03.9'],
  ['cad', 'I25.10'],
  ['coronary artery disease', 'I25.10'],
  ['dvt', 'I82.409'],
  ['pe', 'I26.99'],
  ['pulmonary embolism', 'I26.99'],
  ['stroke', 'I63.9'],
  ['cva', 'I63.9'],
  ['tia', 'G45.9'],
  ['anemia', 'D64.9'],
  ['osa', 'G47.33'],
  ['sleep apnea', 'G47.30'],
  ['covid', 'U07.1'],
  ['covid-19', 'U07.1'],
  ['cellulitis', 'L03.90'],
  ['dehydration', 'E86.0'],
  ['hypokalemia', 'E87.6'],
  ['hyponatremia', 'E87.1'],
  ['chest pain', 'R07.9'],
  ['abdominal pain', 'R10.9'],
  ['syncope', 'R55'],
  ['migraine', 'G43.909'],
  ['osteoarthritis knee', 'M17.9'],
  ['low back pain', 'M54.50'],
  ['bph', 'N40.0'],
  ['alcohol dependence', 'F10.20'],
  ['tobacco use', 'Z72.0'],
  ['nicotine dependence cigarettes', 'F17.210'],
  ['type 1 diabetes', 'E10.9'],
  ['diabetic ketoacidosis', 'E11.10'],
  ['esrd', 'N18.6'],
  ['sob', 'R06.02'],
  ['diabetes', 'E11.9'],
  ['ra', 'M06.9'],
  ['pna', 'J18.9'],
  ['acute systolic chf', 'I50.21'],
  ['pneumonia unspecified organism', 'J18.9'],
  ['essential hypertension', 'I10'],
];

describe('search ranking a coder trusts', () => {
  it(`puts the expected code in the first three for all ${RANKING.length} terms`, async () => {
    const misses: string[] = [];
    for (const [q, code] of RANKING) {
      const hits = await searchCodes(db, { q, limit: 8 });
      const at = hits.findIndex((h) => h.code === code);
      if (at < 0 || at > 2)
        misses.push(
          `${q} -> ${code} at ${at}: ${hits
            .slice(0, 3)
            .map((h) => h.code)
            .join(', ')}`,
        );
    }
    expect(RANKING.length).toBeGreaterThanOrEqual(30);
    expect(misses).toEqual([]);
  });

  it('lists billable codes before headers for words, and browses the hierarchy from any code', async () => {
    const hits = await searchCodes(db, { q: 'type 2 diabetes mellitus with hyperglycemia', limit: 8 });
    expect(hits[0]).toMatchObject({ code: 'E11.65', billable: true });
    const res = await app.inject({ method: 'GET', url: '/coding/codes/icd10cm/E11.6' });
    const e116 = res.json<{
      billable: boolean;
      children: Array<{ code: string }>;
      hierarchy: Array<{ code: string }>;
    }>();
    expect(e116.billable).toBe(false);
    expect(e116.children.map((c) => c.code)).toEqual(expect.arrayContaining(['E11.61', 'E11.65', 'E11.69']));
    expect(e116.hierarchy[0]).toMatchObject({ code: 'E11' });
    const e11 = (await app.inject({ method: 'GET', url: '/coding/codes/icd10cm/E11' })).json<{
      children: Array<{ code: string }>;
    }>();
    expect(e11.children.map((c) => c.code)).toContain('E11.6');
  });
});

describe('ICD-10-PCS', () => {
  it('searches procedure codes by words and by code prefix', async () => {
    const words = await searchCodes(db, {
      q: 'resection appendix percutaneous endoscopic',
      system: 'icd10pcs',
      limit: 5,
    });
    expect(words.slice(0, 3).map((h) => h.code)).toContain('0DTJ4ZZ');
    const prefix = await searchCodes(db, { q: '0DTJ', system: 'icd10pcs', limit: 10 });
    expect(prefix.length).toBeGreaterThan(3);
    expect(prefix.every((h) => h.code.startsWith('0DTJ') && h.version === '2026')).toBe(true);
  });

  it('builds a code axis by axis, offering only values that lead to valid codes, with their meanings', async () => {
    type Step = {
      axis?: string;
      options: Array<{ value: string; meaning: string; codes: number }>;
      code?: { code: string; display: string };
      chosen: Array<{ axis: string; meaning: string }>;
    };
    const step = async (prefix: string): Promise<Step> => {
      const res = await app.inject({ method: 'GET', url: `/coding/pcs/builder?prefix=${prefix}` });
      expect(res.statusCode, prefix).toBe(200);
      return res.json<Step>();
    };
    const sections = await step('');
    expect(sections.axis).toBe('Section');
    expect(sections.options).toContainEqual(
      expect.objectContaining({ value: '0', meaning: 'Medical and Surgical' }),
    );
    expect(sections.options.reduce((n, o) => n + o.codes, 0)).toBe(79115);
    const systems = await step('0');
    expect(systems.options).toContainEqual(
      expect.objectContaining({ value: 'D', meaning: 'Gastrointestinal System' }),
    );
    const operations = await step('0D');
    expect(operations.options).toContainEqual(expect.objectContaining({ value: 'T', meaning: 'Resection' }));
    const parts = await step('0DT');
    expect(parts.axis).toBe('Body part');
    expect(parts.options).toContainEqual(expect.objectContaining({ value: 'J', meaning: 'Appendix' }));
    const approaches = await step('0DTJ');
    expect(approaches.options.map((o) => o.value)).toEqual(['0', '4', '7', '8']);
    expect(approaches.options[0]).toMatchObject({ meaning: 'Open Approach' });
    // Every value offered leads to at least one valid code.
    for (const o of approaches.options) {
      const hits = await searchCodes(db, { q: `0DTJ${o.value}`, system: 'icd10pcs' });
      expect(hits.length, o.value).toBe(o.codes);
    }
    const devices = await step('0DTJ4');
    expect(devices.options).toEqual([{ value: 'Z', meaning: 'No Device', codes: 2 }]);
    const done = await step('0DTJ4ZZ');
    expect(done.code).toEqual({
      code: '0DTJ4ZZ',
      display: 'Resection of Appendix, Percutaneous Endoscopic Approach',
    });
    expect(done.chosen.map((c) => c.axis)).toEqual([
      'Section',
      'Body system',
      'Root operation',
      'Body part',
      'Approach',
      'Device',
      'Qualifier',
    ]);
    expect((await app.inject({ method: 'GET', url: '/coding/pcs/builder?prefix=0I' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/coding/pcs/builder?prefix=0DTJ9' })).statusCode).toBe(
      404,
    );
  });
});

describe('codeNotes', () => {
  it('gives E11.9 the Excludes1 of category E11, which names E10', async () => {
    const notes = await codeNotes(db, 'icd10cm', 'E11.9');
    expect(notes).toContainEqual({
      kind: 'excludes1',
      text: 'type 1 diabetes mellitus (E10.-)',
      level: 'category',
      from: 'E11',
    });
    expect(notes.some((n) => n.level === 'chapter' && n.from === '4')).toBe(true);
  });

  it('lets S72 codes inherit the 7th-character definitions', async () => {
    const notes = await codeNotes(db, 'icd10cm', 'S72.001A');
    const defs = notes.filter((n) => n.kind === 'sevenChrDef' && n.chr);
    expect(defs.map((d) => d.chr)).toEqual(expect.arrayContaining(['A', 'B', 'C', 'D', 'S']));
    expect(defs.every((d) => d.level === 'category' && d.from === 'S72')).toBe(true);
  });

  it('tags section-level notes with the section', async () => {
    const res = await db.query<{ owner_id: string }>(
      `SELECT owner_id FROM code_note WHERE owner_level = 'section' ORDER BY owner_id LIMIT 1`,
    );
    const section = res.rows[0]!.owner_id;
    const code = await firstBillable('code_key >= $1', [section.split('-')[0]]);
    const notes = await codeNotes(db, 'icd10cm', code);
    expect(notes.some((n) => n.level === 'section' && n.from === section)).toBe(true);
  });
});

describe('validateCoding', () => {
  it('accepts a clean inpatient claim', async () => {
    expect(await edits([{ code: 'E11.9', principal: true, poa: 'Y' }])).toEqual([]);
  });

  it('finds an Excludes1 conflict taken from the tabular notes', async () => {
    // Take an Excludes1 note on a category that names another category with ".-".
    const res = await db.query<{ owner_id: string; text: string }>(
      `SELECT owner_id, text FROM code_note WHERE kind = 'excludes1' AND owner_level = 'code' AND length(owner_id) = 3
         AND text ~ '\\([A-Z][0-9][0-9A-Z]\\.-\\)$' ORDER BY owner_id, seq LIMIT 1`,
    );
    const note = res.rows[0]!;
    const other = /\(([A-Z][0-9][0-9A-Z])\.-\)$/.exec(note.text)![1]!;
    const a = await firstBillable('code_key LIKE $1', [`${note.owner_id}%`]);
    const b = await firstBillable('code_key LIKE $1', [`${other}%`]);
    const found = await edits([
      { code: a, principal: true, poa: 'Y' },
      { code: b, poa: 'Y' },
    ]);
    expect(found).toContainEqual(
      expect.objectContaining({ kind: 'excludes1', severity: 'error', codes: [a, b] }),
    );
  });

  it('requires a valid 7th character where the category defines them', async () => {
    const res = await db.query<{ owner_id: string; chars: string }>(
      `SELECT owner_id, string_agg(chr, '') AS chars FROM code_note WHERE kind = 'sevenChrDef' AND chr IS NOT NULL
       AND length(owner_id) = 3 GROUP BY owner_id ORDER BY owner_id LIMIT 1`,
    );
    const { owner_id: category, chars } = res.rows[0]!;
    const full = await firstBillable('code_key LIKE $1 AND length(code_key) = 7', [`${category}%`]);
    const withoutSeventh = full.replace('.', '').slice(0, 6);
    const missing = await edits([{ code: withoutSeventh, principal: true, poa: 'Y' }]);
    expect(missing.map((e) => e.kind)).toContain('seventh-character-missing');
    const badChar = 'ABCDEFGHJKMNPQRSTVWXYZ'.split('').find((c) => !chars.includes(c))!;
    const invalid = await edits([{ code: full.slice(0, -1) + badChar, principal: true, poa: 'Y' }]);
    expect(invalid.map((e) => e.kind)).toContain('seventh-character-invalid');
    expect(await edits([{ code: full, principal: true, poa: 'Y' }])).toEqual([]);
  });

  it('asks for placeholder X', async () => {
    const found = await edits([{ code: 'S02.0A', principal: true, poa: 'Y' }]);
    expect(found).toContainEqual(
      expect.objectContaining({
        kind: 'placeholder-missing',
        message: expect.stringContaining('S02.0XXA') as string,
      }),
    );
  });

  it('rejects header codes', async () => {
    const res = await db.query<{ code: string }>(
      `SELECT code FROM code_entry WHERE system = 'icd10cm' AND NOT billable AND code_key LIKE 'E%' ORDER BY sort_order LIMIT 1`,
    );
    const header = res.rows[0]!.code;
    expect(await edits([{ code: header, principal: true, poa: 'Y' }])).toContainEqual(
      expect.objectContaining({ kind: 'header-code', codes: [header], severity: 'error' }),
    );
  });

  it('flags a pregnancy code on a male and a newborn code on an adult, from the chapter notes', async () => {
    const chapters = await db.query<{ text: string; first_code: string; last_code: string }>(
      `SELECT n.text, g.first_code, g.last_code FROM code_note n JOIN code_group g
         ON g.system = n.system AND g.version = n.version AND g.level = 'chapter' AND g.group_id = n.owner_id
       WHERE n.owner_level = 'chapter' AND n.kind = 'notes' AND n.text ~* '(maternal|newborn) records'`,
    );
    const maternal = chapters.rows.find((r) => /only on maternal/i.test(r.text))!;
    const newborn = chapters.rows.find((r) => /newborn records only/i.test(r.text))!;
    const pregnancy = await firstBillable('code_key >= $1', [maternal.first_code]);
    const perinatal = await firstBillable('code_key >= $1', [newborn.first_code]);
    const found = await edits([
      { code: pregnancy, principal: true, poa: 'Y' },
      { code: perinatal, poa: 'Y' },
    ]);
    expect(found).toContainEqual(expect.objectContaining({ kind: 'sex-conflict', codes: [pregnancy] }));
    expect(found).toContainEqual(expect.objectContaining({ kind: 'age-conflict', codes: [perinatal] }));
    const girl = await edits([{ code: pregnancy, principal: true, poa: 'Y' }], {
      patient: { age: 9, sex: 'female' },
    });
    expect(girl).toEqual([expect.objectContaining({ kind: 'age-conflict', severity: 'warning' })]);
  });

  it('flags a code from a male-only block on a female patient', async () => {
    const res = await db.query<{ first_code: string; title: string }>(
      `SELECT first_code, title FROM code_group WHERE level = 'section' AND title ~* '\\mmale\\M' AND title !~* 'female' ORDER BY sort_order LIMIT 1`,
    );
    const code = await firstBillable('code_key >= $1', [res.rows[0]!.first_code]);
    const found = await edits([{ code, principal: true, poa: 'Y' }], { patient: { age: 40, sex: 'female' } });
    expect(found).toEqual([expect.objectContaining({ kind: 'sex-conflict', codes: [code] })]);
  });

  it('does not let a manifestation code be principal', async () => {
    const code = await firstBillable(`display ILIKE '%in diseases classified elsewhere%'`, []);
    const found = await edits([{ code, principal: true, poa: 'Y' }]);
    expect(found.map((e) => e.kind)).toContain('manifestation-principal');
  });

  it('checks POA for inpatients only, and duplicates', async () => {
    const found = await edits([
      { code: 'E11.9', principal: true },
      { code: 'I10', poa: 'X' },
      { code: 'E119', poa: 'Y' },
    ]);
    expect(found.map((e) => e.kind).sort()).toEqual(['duplicate', 'poa-invalid', 'poa-missing']);
    const outpatient = await edits([{ code: 'E11.9', principal: true }], {
      setting: 'outpatient',
      serviceDate: '2021-03-01',
    });
    expect(outpatient).toEqual([]);
  });

  it('checks each encounter against its fiscal year, or the nearest loaded year with a warning', async () => {
    const principal = (code: string) => [{ code, principal: true, poa: 'Y' }];
    const stay = (discharge: string) => ({ admitDate: discharge, dischargeDate: discharge });
    const kinds = (found: Edit[]) => found.map((e) => `${e.kind}:${e.codes.join(',')}`);
    // FY2021 (2020-10-01 to 2021-09-30): its own release. B88.0 was billable then; Z59.87 came later.
    expect(await edits(principal('B88.0'), stay('2020-10-01'))).toEqual([]);
    const z5987In2021 = await edits(principal('Z59.87'), stay('2021-09-30'));
    expect(z5987In2021).toEqual([
      expect.objectContaining({
        kind: 'not-valid-for-date',
        hardStop: true,
        message: expect.stringContaining('valid in FY 2026') as string,
      }),
    ]);
    // FY2022 is not loaded: checked against FY2021, the nearest, with a warning that does not block.
    const fy2022 = await edits(principal('E11.9'), stay('2021-10-01'));
    expect(fy2022).toEqual([
      expect.objectContaining({
        kind: 'code-set-nearest-year',
        severity: 'warning',
        message: expect.stringContaining('checked against FY 2021') as string,
      }),
    ]);
    expect(fy2022[0]?.hardStop).toBeFalsy();
    expect(kinds(await edits(principal('Z59.87'), stay('2022-03-01')))).toEqual([
      'code-set-nearest-year:',
      'valid-in-other-year:Z59.87',
    ]);
    // FY2026: its own codes file; notes and rules still come from FY2021's tabular.
    expect(await edits(principal('Z59.87'), stay('2026-01-15'))).toEqual([]);
    expect(kinds(await edits(principal('B88.0'), stay('2026-01-15')))).toEqual(['header-code:B88.0']);
    const excludes = await edits(
      [
        { code: 'E11.9', principal: true, poa: 'Y' },
        { code: 'E10.9', poa: 'Y' },
      ],
      stay('2026-01-15'),
    );
    expect(kinds(excludes)).toEqual(['excludes1:E11.9,E10.9']);
    expect(excludes[0]?.hardStop).toBeFalsy();
    // FY2020 is before every loaded year: the nearest is FY2021.
    expect(kinds(await edits(principal('E11.9'), stay('2020-09-30')))).toEqual(['code-set-nearest-year:']);
  });

  it('tells in search and lookup the years a code is valid in, with notes from the tabular year', async () => {
    const [z5987] = await searchCodes(db, { q: 'Z59.87', system: 'icd10cm' });
    expect(z5987).toMatchObject({ code: 'Z59.87', version: '2026', validIn: ['2026'] });
    const b880 = await searchCodes(db, { q: 'B88.0', system: 'icd10cm', fy: '2021' });
    expect(b880[0]).toMatchObject({ code: 'B88.0', billable: true, validIn: ['2021'] });
    const [e119] = await searchCodes(db, { q: 'E11.9', system: 'icd10cm' });
    expect(e119).toMatchObject({ version: '2026', validIn: ['2021', '2026'], notesFrom: '2021' });
    expect(e119?.notes.some((n) => n.kind === 'excludes1' && /E10/.test(n.text))).toBe(true);
  });

  it('checks HCPCS procedures against the release for their date', async () => {
    const found = await edits([{ code: 'E11.9', principal: true, poa: 'Y' }], {
      setting: 'outpatient',
      admitDate: undefined,
      dischargeDate: undefined,
      serviceDate: '2020-11-02',
      procedures: [
        { code: 'E0114', date: '2020-11-02' },
        { code: 'A4466', date: '2020-11-02' },
        { code: 'Z9999' },
      ],
    });
    expect(found.map((e) => `${e.kind}:${e.codes.join(',')}`).sort()).toEqual([
      'invalid-code:Z9999',
      'not-valid-for-date:A4466',
    ]);
  });

  it('answers badRequest for a malformed request', async () => {
    await expect(
      validateCoding(db, { setting: 'inpatient', patient: { age: 54 }, diagnoses: [] }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('patient.sex') as string,
    });
    await expect(validateCoding(db, 'nope')).rejects.toMatchObject({ status: 400 });
  });
});

describe('coding routes', () => {
  it('searches and looks up codes, and declares CodeSystem read access', async () => {
    const res = await app.inject({ method: 'GET', url: '/coding/codes?q=E11.9&system=icd10cm&limit=5' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ codes: Array<{ code: string; billable: boolean }> }>();
    expect(body.codes[0]).toMatchObject({ code: 'E11.9', billable: true });
    const one = await app.inject({ method: 'GET', url: '/coding/codes/icd10cm/E11.9' });
    expect(one.json()).toMatchObject({
      code: 'E11.9',
      hierarchy: [{ level: 'category', code: 'E11' }, { level: 'section' }, { level: 'chapter', code: '4' }],
    });
    expect(routes.length).toBeGreaterThanOrEqual(5);
    for (const route of routes) {
      // The encounter workflow routes (workflow-routes.ts) declare the CodingWork pseudo-resource.
      const resource = /^\/coding\/(worklist|encounters|productivity)/.test(route.url)
        ? 'CodingWork'
        : 'CodeSystem';
      expect(route.config, route.url).toMatchObject({ access: { resource } });
      if (resource === 'CodeSystem') expect(route.config).toMatchObject({ access: { action: 'read' } });
    }
    expect((await app.inject({ method: 'GET', url: '/coding/codes?q=x&limit=0' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/coding/codes/icd10cm/Q99.99' })).statusCode).toBe(404);
  });

  it('validates over HTTP', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/coding/validate',
      payload: { ...base, diagnoses: [{ code: 'E11', principal: true, poa: 'Y' }] },
    });
    expect(res.json<{ edits: Edit[] }>().edits.map((e) => e.kind)).toEqual(['header-code']);
    const bad = await app.inject({ method: 'POST', url: '/coding/validate', payload: { setting: 'home' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ resourceType: 'OperationOutcome' });
  });

  it('implements CodeSystem/$lookup and ValueSet/$expand', async () => {
    const lookup = await app.inject({
      method: 'GET',
      url: '/fhir/R4/CodeSystem/$lookup?system=http://hl7.org/fhir/sid/icd-10-cm&code=E11.9',
    });
    expect(lookup.statusCode).toBe(200);
    const params = lookup.json<{
      resourceType: string;
      parameter: Array<{ name: string; valueString?: string }>;
    }>();
    expect(params.resourceType).toBe('Parameters');
    expect(params.parameter.find((p) => p.name === 'display')?.valueString).toBe(
      'Type 2 diabetes mellitus without complications',
    );
    expect(params.parameter.filter((p) => p.name === 'designation').length).toBeGreaterThan(5);
    const expand = await app.inject({
      method: 'GET',
      url: '/fhir/R4/ValueSet/$expand?url=http://hl7.org/fhir/sid/icd-10-cm&filter=diabetes&count=5',
    });
    const vs = expand.json<{
      resourceType: string;
      expansion: { contains: Array<{ code: string; system: string }> };
    }>();
    expect(vs.resourceType).toBe('ValueSet');
    expect(vs.expansion.contains).toHaveLength(5);
    expect(vs.expansion.contains.every((c) => c.system === 'http://hl7.org/fhir/sid/icd-10-cm')).toBe(true);
    const unknown = await app.inject({
      method: 'GET',
      url: '/fhir/R4/CodeSystem/$lookup?system=http://example.org&code=1',
    });
    expect(unknown.statusCode).toBe(400);
  });
});
