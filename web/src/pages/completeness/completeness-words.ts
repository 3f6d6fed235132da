/** Words and colours the completeness screens share. */

export function kindLabel(kind: string): string {
  return kind === 'unsigned' ? 'Unsigned' : kind === 'missing' ? 'Missing' : kind;
}

/** Aging bucket colours, light to dark: older is darker (and each bar segment is labelled too). */
export const BUCKET_COLOURS = ['#c9e4f5', '#8cc3e6', '#4f97c9', '#23689c', '#0d3b66', '#06223d'];

export function percent(rate: number | null): string {
  return rate === null ? 'n/a' : `${Math.round(rate * 1000) / 10}%`;
}

/** The month before this one, YYYY-MM: the last whole month, what accreditors usually ask for. */
export function lastMonth(now = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
}
