import type { Criterion } from '../fhir/search/typed.ts';
import { tallyRecords } from '../fhir/tally.ts';
import type { Cell, ReportDefinition } from './definition.ts';
import { CODING_EDIT_SYSTEM, USER_SYSTEM } from './record-terms.ts';

/**
 * Coding quality: the edits coders overrode (with a reason) to finalize a case, by edit kind and
 * coder. The coding workflow records each override as a DetectedIssue (code the edit kind,
 * implicated the Encounter, author the coder by user name, identified when; src/coding README),
 * so the overrides are counted in the database per kind, coder and case.
 */
export const codingQuality: ReportDefinition = {
  name: 'coding-quality',
  title: 'Coding quality: edits overridden',
  description:
    'Coding edits overridden with a reason when the case was finalized in the range, by edit kind and coder: ' +
    'overrides, and the cases they were given on.',
  audience: 'OperationsReport',
  columns: [
    { name: 'kind', label: 'Edit kind', type: 'text' },
    { name: 'coder', label: 'Coder', type: 'text' },
    { name: 'overrides', label: 'Overrides', type: 'number' },
    { name: 'cases', label: 'Cases', type: 'number' },
  ],
  filters: { coder: 'user name of one coder' },
  defaultDays: 29,
  async run({ store }, params) {
    const where: Criterion[] = [
      { param: 'code', tokens: [{ system: CODING_EDIT_SYSTEM }] },
      { param: 'identified', date: params.from, prefix: 'ge' },
      { param: 'identified', date: params.to, prefix: 'le' },
    ];
    // One group per kind, coder and case: its count is that case's overrides of the kind.
    const rows = await tallyRecords(store, {
      type: 'DetectedIssue',
      where,
      by: [
        { token: 'code', system: CODING_EDIT_SYSTEM },
        { token: 'author:identifier', system: USER_SYSTEM },
        { reference: 'implicated' },
      ],
    });
    const lines = new Map<string, { kind: string; coder: string; overrides: number; cases: number }>();
    for (const r of rows) {
      const kind = r.keys[0] ?? 'unknown';
      const coder = r.keys[1] ?? 'unknown';
      if (params.filters.coder && coder !== params.filters.coder) continue;
      const key = `${kind}\u0000${coder}`;
      const line = lines.get(key) ?? { kind, coder, overrides: 0, cases: 0 };
      line.overrides += r.count;
      line.cases += 1;
      lines.set(key, line);
    }
    return [...lines.values()]
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.coder.localeCompare(b.coder))
      .map((l): Cell[] => [l.kind, l.coder, l.overrides, l.cases]);
  },
};
