import type { Cell, ReportResult } from './definition.ts';

/**
 * RFC 4180 CSV: a header of column names, CRLF line ends, fields quoted when they hold a comma,
 * quote or line break. A text field starting with = + - @ gets a leading apostrophe so a
 * spreadsheet does not run it as a formula (CSV injection); numbers are written as they are.
 */
export function reportCsv(result: Pick<ReportResult, 'columns' | 'rows'>): string {
  const lines = [result.columns.map(field), ...result.rows.map((row) => row.map(field))];
  return lines.map((l) => l.join(',')).join('\r\n') + '\r\n';
}

function field(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
