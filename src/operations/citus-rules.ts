import type { Queryable } from '../db/index.ts';

/**
 * The rules a schema must keep for Citus to distribute it by patient (docs/scaling.md). A table
 * with a `patient_id` column is patient-scoped: distributed by it, its rows of one patient on one
 * node. A table without one is a reference table, copied whole to every node. Citus refuses a
 * primary key or unique constraint on a distributed table that does not include the distribution
 * column (it could only be enforced across nodes), a foreign key from a reference table to a
 * distributed one, and a foreign key between distributed tables that does not join on the
 * distribution column (their rows would not be co-located).
 */
export const DISTRIBUTION_COLUMN = 'patient_id';

export interface TableShape {
  name: string;
  columns: string[];
  /** The primary key's columns, or undefined when the table has none. */
  primaryKey: string[] | undefined;
  /** Each unique constraint's or unique index's columns (expressions as their text). */
  unique: Array<{ name: string; columns: string[] }>;
  foreignKeys: Array<{ name: string; columns: string[]; references: string; referencedColumns: string[] }>;
}

export interface CitusViolation {
  table: string;
  rule: string;
}

/**
 * Tables that name a patient without holding that patient's record: who may sign in and for
 * which patient (a patient portal user, a SMART launch's patient context). They are small, read on
 * every request whatever the patient, and stay reference tables (docs/scaling.md).
 */
export const REFERENCE_TABLES_NAMING_A_PATIENT: ReadonlySet<string> = new Set([
  'app_user',
  'access_token',
  'smart_client',
  'smart_code',
  'smart_launch',
  'smart_refresh_token',
]);

const patientScoped = (t: TableShape): boolean =>
  t.columns.includes(DISTRIBUTION_COLUMN) && !REFERENCE_TABLES_NAMING_A_PATIENT.has(t.name);

/** Every breach of the rules, each naming its table and the rule. */
export function citusViolations(tables: readonly TableShape[]): CitusViolation[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const out: CitusViolation[] = [];
  for (const t of tables) {
    const scoped = patientScoped(t);
    if (scoped && t.primaryKey && !t.primaryKey.includes(DISTRIBUTION_COLUMN))
      out.push({
        table: t.name,
        rule: `primary key (${t.primaryKey.join(', ')}) lacks ${DISTRIBUTION_COLUMN}`,
      });
    if (scoped)
      for (const u of t.unique)
        if (!u.columns.includes(DISTRIBUTION_COLUMN))
          out.push({
            table: t.name,
            rule: `unique ${u.name} (${u.columns.join(', ')}) lacks ${DISTRIBUTION_COLUMN}`,
          });
    for (const fk of t.foreignKeys) {
      const target = byName.get(fk.references);
      if (!target || !patientScoped(target)) continue;
      if (!scoped)
        out.push({
          table: t.name,
          rule: `reference table has foreign key ${fk.name} to patient-scoped ${fk.references}`,
        });
      else if (
        fk.columns.indexOf(DISTRIBUTION_COLUMN) < 0 ||
        fk.columns.indexOf(DISTRIBUTION_COLUMN) !== fk.referencedColumns.indexOf(DISTRIBUTION_COLUMN)
      )
        out.push({
          table: t.name,
          rule: `foreign key ${fk.name} to ${fk.references} does not join on ${DISTRIBUTION_COLUMN}`,
        });
    }
  }
  return out;
}

/** The tables of the current schema as the catalog describes them (views and the like left out). */
export async function readTableShapes(q: Queryable): Promise<TableShape[]> {
  const tables = await q.query<{ name: string; columns: string[] }>(
    `SELECT c.relname AS name,
            array(SELECT a.attname::text FROM pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
      ORDER BY c.relname`,
    [],
    { oneOff: true },
  );
  // Unique indexes cover unique constraints too (each constraint has its index).
  const indexes = await q.query<{ table: string; name: string; primary: boolean; columns: string[] }>(
    `SELECT t.relname AS table, i.relname AS name, x.indisprimary AS primary,
            array(SELECT pg_get_indexdef(x.indexrelid, k, true)
                    FROM generate_series(1, x.indnkeyatts) AS k ORDER BY k) AS columns
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = current_schema() AND x.indisunique`,
    [],
    { oneOff: true },
  );
  const keys = await q.query<{
    table: string;
    name: string;
    references: string;
    columns: string[];
    referenced: string[];
  }>(
    `SELECT t.relname AS table, k.conname AS name, r.relname AS references,
            array(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY AS u(num, ord)
                    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num ORDER BY u.ord) AS columns,
            array(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY AS u(num, ord)
                    JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num ORDER BY u.ord) AS referenced
       FROM pg_constraint k
       JOIN pg_class t ON t.oid = k.conrelid
       JOIN pg_class r ON r.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = current_schema() AND k.contype = 'f'`,
    [],
    { oneOff: true },
  );
  return tables.rows.map((t) => ({
    name: t.name,
    columns: t.columns,
    primaryKey: indexes.rows.find((i) => i.table === t.name && i.primary)?.columns,
    unique: indexes.rows
      .filter((i) => i.table === t.name && !i.primary)
      .map((i) => ({ name: i.name, columns: i.columns })),
    foreignKeys: keys.rows
      .filter((k) => k.table === t.name)
      .map((k) => ({
        name: k.name,
        columns: k.columns,
        references: k.references,
        referencedColumns: k.referenced,
      })),
  }));
}
