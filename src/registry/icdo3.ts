import type { Db } from '../db/index.ts';
import { badRequest } from '../fhir/outcomes.ts';

/**
 * ICD-O-3 reference lists. The tables are WHO's and not freely redistributable, so Custodian ships
 * none: a site loads its licensed copy (one code and label per line, separated by a tab, comma,
 * semicolon or space; topography as C50.9 or C509, morphology as 8500/3 or 8500). Until then the
 * edits check only the codes' format; once loaded, site and histology must be on the lists.
 */

export type IcdO3Kind = 'site' | 'histology';

function normalise(kind: IcdO3Kind, raw: string): string | undefined {
  const code = raw.trim().toUpperCase();
  if (kind === 'site') {
    const m = /^C(\d{2})\.?(\d)$/.exec(code);
    return m ? `C${m[1]}${m[2]}` : undefined;
  }
  const m = /^(\d{4})(\/\d)?$/.exec(code);
  return m?.[1];
}

/** Parses a code list; a line that is neither a header nor a code is a 400 naming its number. */
export function parseIcdO3List(kind: IcdO3Kind, text: string): Array<{ code: string; label: string }> {
  const out = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    // The code, then the label after the first tab, comma, semicolon or space.
    const m = /^\s*"?([^\t,;\s"]+)"?(?:[\t,;\s]+(.*))?$/.exec(line);
    const first = m?.[1] ?? line;
    const code = normalise(kind, first);
    if (!code) {
      if (i === 0) return; // a header row
      throw badRequest(
        `Line ${i + 1}: '${first}' is not an ICD-O-3 ${kind === 'site' ? 'topography' : 'morphology'} code`,
      );
    }
    if (!out.has(code)) out.set(code, (m?.[2] ?? '').replace(/^"|"$/g, '').trim());
  });
  return [...out].map(([code, label]) => ({ code, label }));
}

/** Replaces the loaded list of one kind in one transaction; answers how many codes it holds. */
export async function loadIcdO3(db: Db, kind: IcdO3Kind, text: string): Promise<number> {
  const codes = parseIcdO3List(kind, text);
  if (codes.length === 0) throw badRequest('The file holds no codes');
  await db.transaction(async (tx) => {
    await tx.query(`DELETE FROM registry_icdo3 WHERE kind = $1`, [kind]);
    await tx.query(
      `INSERT INTO registry_icdo3 (kind, code, label) SELECT $1, c, l FROM unnest($2::text[], $3::text[]) AS t(c, l)`,
      [kind, codes.map((c) => c.code), codes.map((c) => c.label)],
    );
  });
  return codes.length;
}
