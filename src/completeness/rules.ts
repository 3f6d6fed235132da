import { badRequest } from '../fhir/outcomes.ts';

/**
 * Completeness rules as data: the medical staff's bylaws on what a chart must hold and by when.
 * An HIM director edits them through the API (PUT /completeness/rules); every save is a new
 * version, and the evaluator always applies the latest one.
 */

/** When a rule's clock starts. */
export const ANCHORS = ['admission', 'discharge', 'surgical-procedure'] as const;
export type Anchor = (typeof ANCHORS)[number];

/** Who must complete the deficiency. */
export const OWNERS = ['attending', 'performer'] as const;
export type OwnerRole = (typeof OWNERS)[number];

export interface DocumentCode {
  system: string;
  code: string;
  display?: string;
}

/** A document the chart must hold: one per encounter, or one per surgical procedure. */
export interface DocumentRule {
  id: string;
  kind: 'document';
  title: string;
  /** Encounter class codes (v3 ActCode: IMP, EMER, AMB, ...) the rule applies to. */
  classes: string[];
  document: DocumentCode;
  anchor: Anchor;
  /** Hours after the anchor the document is due (0: before it, e.g. consent). */
  dueHours: number;
  owner: OwnerRole;
}

/** Every note of the chart authenticated (signed) by its author. */
export interface SignatureRule {
  id: string;
  kind: 'signature';
  title: string;
  classes: string[];
  /** Hours after the note's date the signature is due. */
  dueHours: number;
}

export type CompletenessRule = DocumentRule | SignatureRule;

export interface CompletenessSettings {
  /** A chart with a deficiency still open this many days after discharge is delinquent. */
  delinquentAfterDays: number;
  /** Upper bounds (days since discharge) of the aging buckets; the last bucket is open-ended. */
  agingBuckets: number[];
  /** Encounter classes whose discharges are counted (and whose charts can be delinquent). */
  dischargeClasses: string[];
}

export interface RuleSet {
  version: number;
  settings: CompletenessSettings;
  rules: CompletenessRule[];
}

const LOINC = 'http://loinc.org';

/** The defaults a fresh database starts with (version 0 until a director saves a set). */
export const DEFAULT_RULE_SET: RuleSet = {
  version: 0,
  settings: { delinquentAfterDays: 30, agingBuckets: [7, 14, 30, 60], dischargeClasses: ['IMP'] },
  rules: [
    {
      id: 'history-and-physical',
      kind: 'document',
      title: 'History and physical within 24 hours of admission',
      classes: ['IMP'],
      document: { system: LOINC, code: '34117-2', display: 'History and physical note' },
      anchor: 'admission',
      dueHours: 24,
      owner: 'attending',
    },
    {
      id: 'operative-note',
      kind: 'document',
      title: 'Operative note within 24 hours of each surgical procedure',
      classes: ['IMP'],
      document: { system: LOINC, code: '11504-8', display: 'Surgical operation note' },
      anchor: 'surgical-procedure',
      dueHours: 24,
      owner: 'performer',
    },
    {
      id: 'discharge-summary',
      kind: 'document',
      title: 'Discharge summary within 14 days of discharge',
      classes: ['IMP'],
      document: { system: LOINC, code: '18842-5', display: 'Discharge summary' },
      anchor: 'discharge',
      dueHours: 14 * 24,
      owner: 'attending',
    },
    {
      id: 'consent',
      kind: 'document',
      title: 'Consent on file before each surgical procedure',
      classes: ['IMP'],
      document: { system: LOINC, code: '59284-0', display: 'Consent Document' },
      anchor: 'surgical-procedure',
      dueHours: 0,
      owner: 'performer',
    },
    {
      id: 'note-signed',
      kind: 'signature',
      title: 'Every note signed by its author within 72 hours',
      classes: ['IMP', 'EMER', 'AMB'],
      dueHours: 72,
    },
  ],
};

const RULE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw badRequest(`${field} must be a non-empty string`);
  return value;
}

function hours(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 24 * 365)
    throw badRequest(`${field} must be a whole number of hours from 0 to 8760`);
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (!allowed.includes(value as T)) throw badRequest(`${field} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function classes(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length === 0) throw badRequest(`${field} must list encounter classes`);
  return value.map((c, i) => text(c, `${field}[${i}]`));
}

function ruleOf(raw: unknown, i: number): CompletenessRule {
  const at = `rules[${i}]`;
  if (typeof raw !== 'object' || raw === null) throw badRequest(`${at} must be an object`);
  const r = raw as Record<string, unknown>;
  const id = text(r.id, `${at}.id`);
  if (!RULE_ID.test(id)) throw badRequest(`${at}.id must be lower-case letters, digits and hyphens`);
  const base = { id, title: text(r.title, `${at}.title`), classes: classes(r.classes, `${at}.classes`) };
  if (r.kind === 'signature')
    return { ...base, kind: 'signature', dueHours: hours(r.dueHours, `${at}.dueHours`) };
  if (r.kind !== 'document') throw badRequest(`${at}.kind must be 'document' or 'signature'`);
  const doc = (r.document ?? {}) as Record<string, unknown>;
  return {
    ...base,
    kind: 'document',
    document: {
      system: text(doc.system, `${at}.document.system`),
      code: text(doc.code, `${at}.document.code`),
      ...(typeof doc.display === 'string' ? { display: doc.display } : {}),
    },
    anchor: oneOf(r.anchor, ANCHORS, `${at}.anchor`),
    dueHours: hours(r.dueHours, `${at}.dueHours`),
    owner: oneOf(r.owner, OWNERS, `${at}.owner`),
  };
}

function settingsOf(raw: unknown): CompletenessSettings {
  const s = (raw ?? {}) as Record<string, unknown>;
  const days = s.delinquentAfterDays;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 365)
    throw badRequest('settings.delinquentAfterDays must be a whole number of days from 1 to 365');
  const buckets = s.agingBuckets;
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.length > 10 ||
    buckets.some(
      (b, i) =>
        typeof b !== 'number' || !Number.isInteger(b) || b < 1 || (i > 0 && b <= Number(buckets[i - 1])),
    )
  )
    throw badRequest('settings.agingBuckets must be 1 to 10 increasing whole numbers of days');
  const dischargeClasses =
    s.dischargeClasses === undefined ? ['IMP'] : classes(s.dischargeClasses, 'settings.dischargeClasses');
  return { delinquentAfterDays: days, agingBuckets: buckets as number[], dischargeClasses };
}

/** A rule set as a director sent it, checked field by field (400 naming the first bad field). */
export function parseRuleSet(body: unknown): Omit<RuleSet, 'version'> {
  if (typeof body !== 'object' || body === null) throw badRequest('The body must be a rule set object');
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.rules)) throw badRequest('rules must be a list');
  const rules = b.rules.map(ruleOf);
  const ids = new Set<string>();
  for (const r of rules) {
    if (ids.has(r.id)) throw badRequest(`Rule id '${r.id}' is used twice`);
    ids.add(r.id);
  }
  return { settings: settingsOf(b.settings), rules };
}
