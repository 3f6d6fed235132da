import { describe, expect, it } from 'vitest';
import { openTestDb } from '../testing/test-db.ts';
import { citusViolations, readTableShapes, type TableShape } from './citus-rules.ts';

/**
 * Today's breaches of the Citus rules, each explained in docs/scaling.md with the migration that
 * ends it. This list may only shrink: a new breach fails the test naming its table and rule, and
 * a breach fixed must leave the list.
 */
const KNOWN_VIOLATIONS: readonly string[] = [
  'break_glass: primary key (id) lacks patient_id',
  'completeness_chart: primary key (encounter_id) lacks patient_id',
  'completeness_deficiency: primary key (task_id) lacks patient_id',
  'completeness_document_link: primary key (document_id) lacks patient_id',
  'completeness_query: primary key (task_id) lacks patient_id',
  'fhir_resource: primary key (resource_type, id) lacks patient_id',
  'fhir_resource_history: primary key (resource_type, id, version_id) lacks patient_id',
];

const table = (name: string, shape: Partial<TableShape>): TableShape => ({
  name,
  columns: [],
  primaryKey: undefined,
  unique: [],
  foreignKeys: [],
  ...shape,
});

describe('the schema stays distributable by patient on Citus', () => {
  it('names the table and the rule for each kind of breach', () => {
    const chart = table('chart_note', {
      columns: ['patient_id', 'id', 'code'],
      primaryKey: ['id'],
      unique: [{ name: 'chart_note_code_key', columns: ['code'] }],
    });
    const codeSet = table('code_pick', {
      columns: ['id', 'note_id'],
      primaryKey: ['id'],
      foreignKeys: [
        {
          name: 'code_pick_note_fkey',
          columns: ['note_id'],
          references: 'chart_note',
          referencedColumns: ['id'],
        },
      ],
    });
    const link = table('chart_link', {
      columns: ['patient_id', 'note_id'],
      primaryKey: ['patient_id', 'note_id'],
      foreignKeys: [
        {
          name: 'chart_link_note_fkey',
          columns: ['note_id'],
          references: 'chart_note',
          referencedColumns: ['id'],
        },
      ],
    });
    const fine = table('chart_item', {
      columns: ['patient_id', 'id', 'code_id'],
      primaryKey: ['patient_id', 'id'],
      unique: [{ name: 'chart_item_code_key', columns: ['patient_id', 'code_id'] }],
      foreignKeys: [
        {
          name: 'chart_item_code_fkey',
          columns: ['code_id'],
          references: 'code_pick',
          referencedColumns: ['id'],
        },
      ],
    });
    expect(citusViolations([chart, codeSet, link, fine])).toEqual([
      { table: 'chart_note', rule: 'primary key (id) lacks patient_id' },
      { table: 'chart_note', rule: 'unique chart_note_code_key (code) lacks patient_id' },
      {
        table: 'code_pick',
        rule: 'reference table has foreign key code_pick_note_fkey to patient-scoped chart_note',
      },
      {
        table: 'chart_link',
        rule: 'foreign key chart_link_note_fkey to chart_note does not join on patient_id',
      },
    ]);
  });

  it("holds for the migrations' schema, read from a migrated database's catalog", async () => {
    const db = await openTestDb();
    try {
      const found = citusViolations(await readTableShapes(db)).map((v) => `${v.table}: ${v.rule}`);
      expect(
        found.filter((v) => !KNOWN_VIOLATIONS.includes(v)),
        'new breaches of the Citus rules (docs/scaling.md): put patient_id in the key, or make it a reference table',
      ).toEqual([]);
      expect(
        KNOWN_VIOLATIONS.filter((v) => !found.includes(v)),
        'fixed: remove these from KNOWN_VIOLATIONS',
      ).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
