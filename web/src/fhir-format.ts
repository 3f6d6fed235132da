import type { CodeableConcept, HumanName, Identifier, Period, Quantity, Reference } from '@medplum/fhirtypes';

/** Display helpers for FHIR data types: one place decides how dates and names read. */

export function formatName(names: HumanName[] | undefined): string {
  const n = names?.find((x) => x.use === 'official') ?? names?.[0];
  if (!n) return '(no name)';
  if (n.text) return n.text;
  return [n.prefix?.join(' '), n.given?.join(' '), n.family, n.suffix?.join(' ')].filter(Boolean).join(' ');
}

const DATE = new Intl.DateTimeFormat('en-US', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});
const DATE_TIME = new Intl.DateTimeFormat('en-US', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});

/** '1991-07-08' -> 'Jul 8, 1991'; with a time, the time too (UTC, as stored). */
export function formatDate(value: string | undefined): string {
  if (!value) return '';
  const d = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(d.getTime())) return value;
  return value.length <= 10 ? DATE.format(d) : DATE_TIME.format(d);
}

export function formatDay(value: string | undefined): string {
  return value ? formatDate(value.slice(0, 10)) : '';
}

export function formatPeriod(p: Period | undefined): string {
  if (!p?.start) return '';
  const start = formatDate(p.start);
  if (!p.end || p.end === p.start) return start;
  return p.end.slice(0, 10) === p.start.slice(0, 10)
    ? `${start} – ${p.end.slice(11, 16)} UTC`
    : `${start} – ${formatDate(p.end)}`;
}

/** A stay by its days: 'Sep 16, 2019', or 'Jul 27, 2019 – Jul 28, 2019' over several days. */
export function formatStay(p: Period | undefined): string {
  if (!p?.start) return '';
  const start = formatDay(p.start);
  return p.end && p.end.slice(0, 10) !== p.start.slice(0, 10) ? `${start} – ${formatDay(p.end)}` : start;
}

export function conceptText(c: CodeableConcept | undefined): string {
  if (!c) return '';
  return c.text ?? c.coding?.find((x) => x.display)?.display ?? c.coding?.[0]?.code ?? '';
}

export function conceptCode(c: CodeableConcept | undefined): string {
  const coding = c?.coding?.[0];
  return coding?.code ?? '';
}

export function formatQuantity(q: Quantity | undefined): string {
  if (!q || q.value === undefined) return '';
  const value = Number.isInteger(q.value) ? String(q.value) : q.value.toFixed(2).replace(/\.?0+$/, '');
  return `${value} ${q.unit ?? q.code ?? ''}`.trim();
}

/** The id part of a reference: 'Encounter/abc' or 'urn:uuid:abc' -> 'abc'. */
export function refId(ref: Reference | undefined): string | undefined {
  const r = ref?.reference;
  if (!r) return undefined;
  if (r.startsWith('urn:uuid:')) return r.slice(9);
  const parts = r.split('/');
  const h = parts.indexOf('_history');
  return (h > 0 ? parts[h - 1] : parts[parts.length - 1]) || undefined;
}

export function identifierLabel(i: Identifier): string {
  // Without a type the issuer column already names the system.
  return i.type?.text ?? i.type?.coding?.[0]?.display ?? i.type?.coding?.[0]?.code ?? 'Other identifier';
}

export function genderLabel(g: string | undefined): string {
  if (!g) return '';
  return g.charAt(0).toUpperCase() + g.slice(1);
}

/** Encounter classes (v3 ActCode) in words. */
export const CLASS_LABELS: Record<string, string> = {
  AMB: 'Ambulatory',
  EMER: 'Emergency',
  IMP: 'Inpatient',
  ACUTE: 'Inpatient acute',
  NONAC: 'Inpatient non-acute',
  OBSENC: 'Observation',
  PRENC: 'Pre-admission',
  SS: 'Short stay',
  VR: 'Virtual',
  HH: 'Home health',
  FLD: 'Field',
};

export function classLabel(code: string | undefined): string {
  if (!code) return 'Other';
  return CLASS_LABELS[code] ?? code;
}

export function ageOn(birthDate: string | undefined, on = new Date()): number | undefined {
  if (!birthDate) return undefined;
  const b = new Date(`${birthDate}T00:00:00Z`);
  let age = on.getUTCFullYear() - b.getUTCFullYear();
  const m = on.getUTCMonth() - b.getUTCMonth();
  if (m < 0 || (m === 0 && on.getUTCDate() < b.getUTCDate())) age--;
  return age;
}
