import type { Db } from '../db/index.ts';
import { getCodeCache, releaseFor, tabularFor, type CodeCache, type CodeSetData } from './cache.ts';
import { parseCodeRefs, refCovers, type CodeRef } from './code-refs.ts';
import { demographicRule, MATERNITY_AGES, NEWBORN_MAX_AGE } from './demographics.ts';
import { levelsOf } from './hierarchy.ts';
import { notesFor, seventhCharacters } from './notes.ts';
import { parseCodingRequest } from './request.ts';
import { codeKey, formatCode, SYSTEM_NAMES, type CodeSystemId } from './systems.ts';
import type { CodeRow, CodingRequest, Edit } from './types.ts';

/** POA indicators CMS accepts on inpatient claims (1 = exempt, reported blank on the 837I). */
export const POA_VALUES = ['Y', 'N', 'U', 'W', '1'] as const;

/** ICD-10 fiscal year N runs from October 1 of N-1 to September 30 of N. */
export function fiscalYear(date: string): string {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  return String(month >= 10 ? year + 1 : year);
}

/**
 * Checks a coded encounter against the loaded code sets and the tabular's own rules. The request
 * shape is checked first (badRequest on bad input); everything else comes back as edits.
 */
export async function validateCoding(db: Db, request: unknown): Promise<{ edits: Edit[] }> {
  const req = parseCodingRequest(request);
  const cache = await getCodeCache(db);
  return { edits: checkRequest(cache, req) };
}

interface Dx {
  input: string;
  key: string;
  row: CodeRow | undefined;
  principal: boolean;
}

function checkRequest(cache: CodeCache, req: CodingRequest): Edit[] {
  const edits: Edit[] = [];
  const dxDate =
    req.setting === 'inpatient'
      ? req.dischargeDate!
      : (req.serviceDate ?? req.admitDate ?? req.dischargeDate)!;
  const fy = fiscalYear(dxDate);
  const release = releaseFor(cache, 'icd10cm', fy);
  const dxs: Dx[] = req.diagnoses.map((d) => ({
    input: d.code,
    key: codeKey(d.code),
    row: undefined,
    principal: d.principal === true,
  }));

  if (req.diagnoses.length > 0 && !release) {
    edits.push({
      codes: dxs.map((d) => d.input),
      severity: 'error',
      kind: 'code-set-not-loaded',
      hardStop: true,
      message: `No ICD-10-CM release is loaded, so the diagnosis codes cannot be checked. Load the CMS release of FY ${fy} with "custodian codes load".`,
    });
  }
  if (req.diagnoses.length > 0 && release && !release.exact) {
    // Not a blocking error: the nearest year's codes are almost all the same; the coder is told.
    edits.push({
      codes: [],
      severity: 'warning',
      kind: 'code-set-nearest-year',
      message: `ICD-10-CM FY ${fy} is not loaded (the ${dateLabel(req)} ${dxDate} falls in FY ${fy}, ${Number(fy) - 1}-10-01 to ${fy}-09-30); the codes were checked against FY ${release.set.version}, the nearest loaded year. Loaded: ${loadedVersions(cache, 'icd10cm')}.`,
    });
  }
  if (release) {
    const rules = { codes: release.set, notes: tabularFor(cache, release.set), exact: release.exact };
    for (const dx of dxs) dx.row = checkDiagnosisCode(cache, rules, dx, dxDate, req, edits);
    checkExcludes1(rules.notes, dxs, edits);
  }
  checkPrincipal(req, dxs, edits);
  if (req.setting === 'inpatient') checkPoa(req, edits);
  checkDuplicates(
    dxs.map((d) => ({ key: d.key, label: d.input })),
    'diagnosis',
    'error',
    edits,
  );
  checkProcedures(cache, req, edits);
  return edits.map((e) => (HARD_STOPS.has(e.kind) ? { ...e, hardStop: true } : e));
}

/**
 * Edits no override clears: the claim would be rejected or wrong whatever the reason (CMS returns
 * a claim without a valid principal diagnosis, with an invalid code, or, inpatient, without POA).
 */
export const HARD_STOPS: ReadonlySet<string> = new Set([
  'code-set-not-loaded',
  'invalid-code',
  'header-code',
  'not-valid-for-date',
  'seventh-character-missing',
  'seventh-character-invalid',
  'placeholder-missing',
  'principal-missing',
  'principal-multiple',
  'manifestation-principal',
  'poa-missing',
  'poa-invalid',
  'duplicate',
]);

/** The release a diagnosis code is checked against, and where its notes and rules come from. */
interface Rules {
  codes: CodeSetData;
  notes: CodeSetData;
  /** False when `codes` is the nearest loaded year, not the date's own. */
  exact: boolean;
}

function dateLabel(req: CodingRequest): string {
  return req.setting === 'inpatient' ? 'discharge date' : 'date of service';
}

function loadedVersions(cache: CodeCache, system: CodeSystemId): string {
  const versions = [...cache.sets.values()]
    .filter((s) => s.system === system && s.byKey.size > 0)
    .map((s) => s.version);
  return versions.length > 0 ? versions.sort().join(', ') : 'none';
}

function checkDiagnosisCode(
  cache: CodeCache,
  { codes: set, notes, exact }: Rules,
  dx: Dx,
  date: string,
  req: CodingRequest,
  edits: Edit[],
): CodeRow | undefined {
  const code = dx.input;
  if (!/^[A-Z][0-9][0-9A-Z]{1,5}$/.test(dx.key)) {
    edits.push({
      codes: [code],
      severity: 'error',
      kind: 'invalid-code',
      message: `${code} is not written like an ICD-10-CM code (a letter, a digit, then 1-5 characters, e.g. E11.9).`,
    });
    return undefined;
  }
  const row = set.byKey.get(dx.key);
  const seventh = seventhCharacters(notes, dx.key.slice(0, 6));
  if (!row || (!row.billable && seventh && dx.key.length < 7)) {
    if (seventh && checkSeventh(set, dx, seventh, edits)) return undefined;
  }
  if (!row) {
    const elsewhere = [...cache.sets.values()]
      .filter((s) => s.system === 'icd10cm' && s !== set && s.byKey.get(dx.key)?.billable)
      .map((s) => s.version)
      .sort();
    edits.push(
      elsewhere.length > 0 && !exact
        ? {
            // Checked against a neighbouring year: whether the code existed on this date is unknown.
            codes: [code],
            severity: 'warning',
            kind: 'valid-in-other-year',
            message: `${code} is not in ICD-10-CM FY ${set.version}, the nearest loaded year to the ${dateLabel(req)} ${date}, but is valid in FY ${elsewhere.join(', ')}; confirm it was valid on that date.`,
          }
        : elsewhere.length > 0
          ? {
              codes: [code],
              severity: 'error',
              kind: 'not-valid-for-date',
              message: `${code} is not valid in ICD-10-CM FY ${set.version}, the fiscal year of the ${dateLabel(req)} ${date}; it is valid in FY ${elsewhere.join(', ')} (deleted or not yet created for this date).`,
            }
          : {
              codes: [code],
              severity: 'error',
              kind: 'invalid-code',
              message: `${code} is not an ICD-10-CM code in FY ${set.version}.`,
            },
    );
    return undefined;
  }
  if (!row.billable) {
    const children = [...set.byKey.values()]
      .filter((r) => r.parentKey === row.key)
      .slice(0, 5)
      .map((r) => r.code);
    edits.push({
      codes: [row.code],
      severity: 'error',
      kind: 'header-code',
      message: `${row.code} (${row.display}) is a header, not valid for submission; code to the highest specificity below it${children.length ? ` (e.g. ${children.join(', ')})` : ''}.`,
    });
    return undefined;
  }
  checkManifestation(notes, row, dx.principal, edits);
  checkDemographics(notes, row, req, edits);
  return row;
}

/** Returns true when it reported a 7th-character problem. */
function checkSeventh(
  set: CodeSetData,
  dx: Dx,
  seventh: { from: string; chars: Map<string, string> },
  edits: Edit[],
): boolean {
  const valid = [...seventh.chars.entries()].map(([c, t]) => `${c} ${t}`).join('; ');
  const key = dx.key;
  if (key.length === 7) {
    const chr = key.charAt(6);
    if (!seventh.chars.has(chr)) {
      edits.push({
        codes: [dx.input],
        severity: 'error',
        kind: 'seventh-character-invalid',
        message: `${dx.input}: "${chr}" is not a 7th character defined at ${seventh.from}. Valid: ${valid}.`,
      });
      return true;
    }
    return false;
  }
  const last = key.charAt(key.length - 1);
  const padded = key.slice(0, -1).padEnd(6, 'X') + last;
  if (key.length >= 4 && seventh.chars.has(last) && set.byKey.get(padded)?.billable) {
    edits.push({
      codes: [dx.input],
      severity: 'error',
      kind: 'placeholder-missing',
      message: `${dx.input} needs the placeholder X so that the 7th character stays in 7th position: ${formatCode('icd10cm', padded)}.`,
    });
    return true;
  }
  const example = key.padEnd(6, 'X') + ([...seventh.chars.keys()][0] ?? 'A');
  edits.push({
    codes: [dx.input],
    severity: 'error',
    kind: 'seventh-character-missing',
    message: `${dx.input} requires a 7th character (defined at ${seventh.from}${key.length < 6 ? ', with placeholder X' : ''}), e.g. ${formatCode('icd10cm', example)}. Valid: ${valid}.`,
  });
  return true;
}

const MANIFESTATION_TITLE = /in diseases classified elsewhere/i;

function checkManifestation(set: CodeSetData, row: CodeRow, principal: boolean, edits: Edit[]): void {
  if (!principal) return;
  const titled = levelsOf(set, row.key).find(
    (l) => (l.level === 'code' || l.level === 'category') && MANIFESTATION_TITLE.test(l.title),
  );
  if (titled) {
    edits.push({
      codes: [row.code],
      severity: 'error',
      kind: 'manifestation-principal',
      message: `${row.code} is a manifestation code ("${titled.title}") and may never be the principal or first-listed diagnosis; sequence the underlying condition first.`,
    });
    return;
  }
  const codeFirst = notesFor(set, row.key, ['codeFirst']).find(
    (n) => (n.level === 'code' || n.level === 'category') && !/if applicable|if known/i.test(n.text),
  );
  if (codeFirst) {
    edits.push({
      codes: [row.code],
      severity: 'warning',
      kind: 'code-first',
      message: `${row.code} has a "code first" note under ${codeFirst.level} ${codeFirst.from}: ${codeFirst.text}. The underlying condition is normally sequenced before it.`,
    });
  }
}

function checkDemographics(set: CodeSetData, row: CodeRow, req: CodingRequest, edits: Edit[]): void {
  const rule = demographicRule(set, row.key);
  const { age, sex } = req.patient;
  if (rule.sex && (sex === 'male' || sex === 'female') && rule.sex.value !== sex) {
    edits.push({
      codes: [row.code],
      severity: 'error',
      kind: 'sex-conflict',
      message: `${row.code} is for ${rule.sex.value} patients (${rule.sex.from}: "${rule.sex.reason}") but the patient is ${sex}.`,
    });
  }
  if (rule.age?.kind === 'maternity' && (age < MATERNITY_AGES.min || age > MATERNITY_AGES.max)) {
    edits.push({
      codes: [row.code],
      severity: 'warning',
      kind: 'age-conflict',
      message: `${row.code} is a maternity code (${rule.age.from}: "${rule.age.reason}"); the patient's age ${age} is outside ${MATERNITY_AGES.min}-${MATERNITY_AGES.max}.`,
    });
  }
  if (rule.age?.kind === 'newborn' && age > NEWBORN_MAX_AGE) {
    edits.push({
      codes: [row.code],
      severity: age >= 18 ? 'error' : 'warning',
      kind: 'age-conflict',
      message: `${row.code} is a perinatal/newborn code (${rule.age.from}: "${rule.age.reason}") but the patient is ${age} years old; use it later in life only when the perinatal condition itself is still present.`,
    });
  }
}

const refCache = new Map<string, CodeRef[]>();
function refsOf(text: string): CodeRef[] {
  let refs = refCache.get(text);
  if (!refs) {
    refs = parseCodeRefs(text);
    refCache.set(text, refs);
  }
  return refs;
}

function checkExcludes1(set: CodeSetData, dxs: Dx[], edits: Edit[]): void {
  const valid = dxs.filter((d): d is Dx & { row: CodeRow } => d.row !== undefined);
  const reported = new Set<string>();
  for (let i = 0; i < valid.length; i++) {
    for (let j = i + 1; j < valid.length; j++) {
      const a = valid[i]!.row;
      const b = valid[j]!.row;
      const pair = [a.key, b.key].sort().join('|');
      if (a.key === b.key || reported.has(pair)) continue;
      const hit = excludes1Between(set, a, b) ?? excludes1Between(set, b, a);
      if (!hit) continue;
      reported.add(pair);
      edits.push({
        codes: [a.code, b.code],
        severity: 'error',
        kind: 'excludes1',
        message: `${a.code} and ${b.code} may not be coded together: Excludes1 under ${hit.holder.code}'s ${hit.where}: "${hit.text}".`,
      });
    }
  }
}

function excludes1Between(
  set: CodeSetData,
  holder: CodeRow,
  other: CodeRow,
): { where: string; text: string; holder: CodeRow } | undefined {
  for (const note of notesFor(set, holder.key, ['excludes1'])) {
    // A reference that also covers the holder itself names a sub-list, not a conflict.
    const refs = refsOf(note.text).filter((r) => !refCovers(r, holder.key));
    if (refs.some((r) => refCovers(r, other.key)))
      return { where: `${note.level} ${note.from}`, text: note.text, holder };
  }
  return undefined;
}

function checkPrincipal(req: CodingRequest, dxs: Dx[], edits: Edit[]): void {
  const principals = dxs.filter((d) => d.principal);
  if (principals.length > 1) {
    edits.push({
      codes: principals.map((d) => d.input),
      severity: 'error',
      kind: 'principal-multiple',
      message: 'Only one diagnosis may be the principal (first-listed) diagnosis.',
    });
  } else if (principals.length === 0 && dxs.length > 0 && req.setting === 'inpatient') {
    edits.push({
      codes: [],
      severity: 'error',
      kind: 'principal-missing',
      message: 'An inpatient claim needs one principal diagnosis (principal: true).',
    });
  }
}

function checkPoa(req: CodingRequest, edits: Edit[]): void {
  for (const d of req.diagnoses) {
    const poa = d.poa?.trim().toUpperCase();
    if (!poa) {
      edits.push({
        codes: [d.code],
        severity: 'error',
        kind: 'poa-missing',
        message: `${d.code} needs a present-on-admission indicator for an inpatient claim (${POA_VALUES.join(', ')}).`,
      });
    } else if (!(POA_VALUES as readonly string[]).includes(poa)) {
      edits.push({
        codes: [d.code],
        severity: 'error',
        kind: 'poa-invalid',
        message: `${d.code} has POA "${d.poa}"; valid values are Y (yes), N (no), U (unknown), W (clinically undetermined) and 1 (exempt).`,
      });
    }
  }
}

function checkDuplicates(
  items: Array<{ key: string; label: string }>,
  what: string,
  severity: Edit['severity'],
  edits: Edit[],
): void {
  const seen = new Map<string, string>();
  for (const item of items) {
    const first = seen.get(item.key);
    if (first !== undefined) {
      edits.push({
        codes: [first, item.label],
        severity,
        kind: 'duplicate',
        message: `${item.label} is listed more than once as a ${what}.`,
      });
    } else seen.set(item.key, item.label);
  }
}

function procedureSystem(key: string): CodeSystemId | undefined {
  if (/^[A-V]\d{4}$/.test(key)) return 'hcpcs';
  if (/^\d{4}[0-9A-Z]$/.test(key)) return 'cpt';
  if (/^[0-9A-HJ-NP-Z]{7}$/.test(key)) return 'icd10pcs';
  return undefined;
}

function checkProcedures(cache: CodeCache, req: CodingRequest, edits: Edit[]): void {
  const fallbackDate = req.serviceDate ?? req.dischargeDate ?? req.admitDate ?? '';
  checkDuplicates(
    req.procedures.map((p) => ({ key: `${codeKey(p.code)}|${p.date ?? fallbackDate}`, label: p.code })),
    'procedure on the same date',
    'warning',
    edits,
  );
  for (const p of req.procedures) {
    const date = p.date ?? fallbackDate;
    const key = codeKey(p.code);
    if (
      p.date &&
      req.admitDate &&
      req.dischargeDate &&
      (p.date < req.admitDate || p.date > req.dischargeDate)
    ) {
      edits.push({
        codes: [p.code],
        severity: 'warning',
        kind: 'procedure-date',
        message: `${p.code} is dated ${p.date}, outside the stay ${req.admitDate} to ${req.dischargeDate}.`,
      });
    }
    const system = procedureSystem(key);
    if (!system) {
      edits.push({
        codes: [p.code],
        severity: 'error',
        kind: 'invalid-code',
        message: `${p.code} is not written like an ICD-10-PCS (7 characters), HCPCS (letter and 4 digits) or CPT (5 characters) code.`,
      });
      continue;
    }
    const version = system === 'icd10pcs' ? fiscalYear(date) : date.slice(0, 4);
    const release = releaseFor(cache, system, version);
    if (!release?.exact) {
      const period = system === 'icd10pcs' ? `fiscal year ${version}` : `${version}`;
      edits.push({
        codes: [p.code],
        severity: release ? 'warning' : 'error',
        kind: release ? 'code-set-nearest-year' : 'code-set-not-loaded',
        message: `${SYSTEM_NAMES[system]} ${period} (for the procedure date ${date}) is not loaded${release ? `; ${p.code} was checked against the ${release.set.version} release instead, the nearest loaded` : '; the code cannot be checked'}. Loaded: ${loadedVersions(cache, system)}.`,
      });
      if (!release) continue;
    }
    const set = release.set;
    const row = set.byKey.get(key);
    if (!row || row.kind === 'modifier') {
      edits.push({
        codes: [p.code],
        severity: 'error',
        kind: 'invalid-code',
        message: `${p.code} is not a ${SYSTEM_NAMES[system]} procedure code in the ${set.version} release.`,
      });
    } else if (!row.billable) {
      edits.push({
        codes: [p.code],
        severity: 'error',
        kind: 'header-code',
        message: `${p.code} (${row.display}) is a header, not valid for submission.`,
      });
    } else if ((row.validTo && date > row.validTo) || (row.validFrom && date < row.validFrom)) {
      edits.push({
        codes: [p.code],
        severity: 'error',
        kind: 'not-valid-for-date',
        message: `${p.code} is valid ${row.validFrom ?? '(start)'} to ${row.validTo ?? '(open)'}, not on ${date}.`,
      });
    }
  }
}
