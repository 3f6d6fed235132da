import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../../db/db.ts';
import { extractSearchRows, type SearchRows } from './extract.ts';

export interface IndexItem {
  resource: Resource;
  patientId: string | null;
  /** A first version: it has no old rows, so the delete probes are skipped (a bulk load saves a third). */
  isNew?: boolean;
}

/** Index table, its value columns and their SQL array types, in insert order. */
const TABLES = {
  search_token: [
    ['system', 'text'],
    ['code', 'text'],
    ['text_value', 'text'],
  ],
  search_string: [
    ['norm', 'text'],
    ['exact', 'text'],
  ],
  search_date: [
    ['low', 'timestamptz'],
    ['high', 'timestamptz'],
  ],
  search_reference: [
    ['target_type', 'text'],
    ['target_id', 'text'],
  ],
  search_number: [
    ['value', 'numeric'],
    ['system', 'text'],
    ['unit', 'text'],
  ],
} as const;
type Table = keyof typeof TABLES;
export const INDEX_TABLES = Object.keys(TABLES) as Table[];

/** Column arrays of one table: owner columns, param, then the table's value columns. */
interface Columns {
  types: string[];
  ids: string[];
  patients: (string | null)[];
  params: string[];
  values: unknown[][];
}

function emptyColumns(table: Table): Columns {
  return { types: [], ids: [], patients: [], params: [], values: TABLES[table].map(() => []) };
}

function valuesOf(table: Table, rows: SearchRows): Array<{ param: string; values: unknown[] }> {
  switch (table) {
    case 'search_token':
      return rows.token.map((r) => ({ param: r.param, values: [r.system, r.code, r.text] }));
    case 'search_string':
      return rows.string.map((r) => ({ param: r.param, values: [r.norm, r.exact] }));
    case 'search_date':
      return rows.date.map((r) => ({ param: r.param, values: [r.low, r.high] }));
    case 'search_reference':
      return rows.reference.map((r) => ({ param: r.param, values: [r.targetType, r.targetId] }));
    case 'search_number':
      return rows.number.map((r) => ({ param: r.param, values: [r.value, r.system, r.unit] }));
  }
}

/**
 * The data-modifying CTEs inserting the index rows of these items, one per index table that has
 * rows, column-wise through unnest(); their values are appended to `params`.
 */
export function indexInsertCtes(items: IndexItem[], params: unknown[]): string[] {
  const columns = new Map<Table, Columns>(INDEX_TABLES.map((t) => [t, emptyColumns(t)]));
  for (const { resource, patientId } of items) {
    const rows = extractSearchRows(resource);
    for (const table of INDEX_TABLES) {
      const cols = columns.get(table) as Columns;
      for (const row of valuesOf(table, rows)) {
        cols.types.push(resource.resourceType);
        cols.ids.push(resource.id as string);
        cols.patients.push(patientId);
        cols.params.push(row.param);
        row.values.forEach((v, i) => cols.values[i]?.push(v));
      }
    }
  }
  const ctes: string[] = [];
  for (const table of INDEX_TABLES) {
    const cols = columns.get(table) as Columns;
    if (cols.ids.length === 0) continue;
    const arrays: Array<[unknown[], string]> = [
      [cols.types, 'text'],
      [cols.ids, 'text'],
      [cols.patients, 'text'],
      [cols.params, 'text'],
      ...TABLES[table].map(([, type], i): [unknown[], string] => [cols.values[i] ?? [], type]),
    ];
    const refs = arrays.map(([values, type]) => `$${params.push(values)}::${type}[]`);
    const names = [
      'resource_type',
      'resource_id',
      'patient_id',
      'param',
      ...TABLES[table].map(([name]) => name),
    ];
    ctes.push(
      `ins_${table} AS (INSERT INTO ${table} (${names.join(', ')}) SELECT * FROM unnest(${refs.join(', ')}))`,
    );
  }
  return ctes;
}

/**
 * Replaces the index rows of every item's (type, id) with rows for its current content.
 * One statement for the whole batch: data-modifying CTEs delete the old rows of all five
 * tables and insert the new ones column-wise through unnest(). All CTEs see the same snapshot,
 * so the deletes never touch the rows inserted beside them.
 */
export async function writeSearchRows(tx: Queryable, items: IndexItem[]): Promise<void> {
  if (items.length === 0) return;
  const replaced = items.filter((i) => !i.isNew);
  const params: unknown[] = [
    replaced.map((i) => i.resource.resourceType),
    replaced.map((i) => i.resource.id),
  ];
  const ctes = ['owners AS (SELECT * FROM unnest($1::text[], $2::text[]) AS o(resource_type, resource_id))'];
  // Delete by ctid found through a LATERAL lookup: always an index probe per owner, whatever
  // the planner's statistics say (PGlite never runs autovacuum, so it often has none).
  if (replaced.length > 0)
    for (const table of INDEX_TABLES)
      ctes.push(
        `del_${table} AS (DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT x.ctid FROM owners o ` +
          `CROSS JOIN LATERAL (SELECT t.ctid FROM ${table} t ` +
          `WHERE t.resource_type = o.resource_type AND t.resource_id = o.resource_id OFFSET 0) x)))`,
      );
  ctes.push(...indexInsertCtes(items, params));
  await tx.query(`WITH ${ctes.join(',\n')} SELECT 1`, params);
}

/** Removes every index row of one resource (on delete: deleted resources never match). */
export async function deleteSearchRows(tx: Queryable, resourceType: string, id: string): Promise<void> {
  const deletes = INDEX_TABLES.map(
    (t) => `d_${t} AS (DELETE FROM ${t} WHERE resource_type = $1 AND resource_id = $2)`,
  );
  await tx.query(`WITH ${deletes.join(', ')} SELECT 1`, [resourceType, id]);
}
