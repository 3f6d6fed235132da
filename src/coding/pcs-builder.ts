import type { Db } from '../db/index.ts';
import { getCodeCache, latestVersions, setKey, type CodeSetData } from './cache.ts';

/**
 * The ICD-10-PCS code builder: a code's seven characters are axes (for Medical and Surgical:
 * section, body system, root operation, body part, approach, device, qualifier). At each step it
 * offers only the values that lead to valid codes in the loaded release, read from the codes file
 * itself (no PCS table file is loaded), with what each value means.
 *
 * Meanings: sections and the Medical and Surgical body systems from the fixed lists below (their
 * names never appear in code titles); every other value's meaning is derived from the titles, as
 * the words every code under the value shares that not every code under its parent does
 * (under 0016: value 0 -> "Open", 7 -> "Autologous Tissue Substitute"). A value whose codes add no
 * word of their own is "No Device" / "No Qualifier" for Z in the 6th / 7th place.
 */

export const PCS_AXES = [
  'Section',
  'Body system',
  'Root operation',
  'Body part',
  'Approach',
  'Device',
  'Qualifier',
] as const;

const SECTIONS: Readonly<Record<string, string>> = {
  '0': 'Medical and Surgical',
  '1': 'Obstetrics',
  '2': 'Placement',
  '3': 'Administration',
  '4': 'Measurement and Monitoring',
  '5': 'Extracorporeal or Systemic Assistance and Performance',
  '6': 'Extracorporeal or Systemic Therapies',
  '7': 'Osteopathic',
  '8': 'Other Procedures',
  '9': 'Chiropractic',
  B: 'Imaging',
  C: 'Nuclear Medicine',
  D: 'Radiation Therapy',
  F: 'Physical Rehabilitation and Diagnostic Audiology',
  G: 'Mental Health',
  H: 'Substance Abuse Treatment',
  X: 'New Technology',
};

const SURGICAL_BODY_SYSTEMS: Readonly<Record<string, string>> = {
  '0': 'Central Nervous System and Cranial Nerves',
  '1': 'Peripheral Nervous System',
  '2': 'Heart and Great Vessels',
  '3': 'Upper Arteries',
  '4': 'Lower Arteries',
  '5': 'Upper Veins',
  '6': 'Lower Veins',
  '7': 'Lymphatic and Hemic Systems',
  '8': 'Eye',
  '9': 'Ear, Nose, Sinus',
  B: 'Respiratory System',
  C: 'Mouth and Throat',
  D: 'Gastrointestinal System',
  F: 'Hepatobiliary System and Pancreas',
  G: 'Endocrine System',
  H: 'Skin and Breast',
  J: 'Subcutaneous Tissue and Fascia',
  K: 'Muscles',
  L: 'Tendons',
  M: 'Bursae and Ligaments',
  N: 'Head and Facial Bones',
  P: 'Upper Bones',
  Q: 'Lower Bones',
  R: 'Upper Joints',
  S: 'Lower Joints',
  T: 'Urinary System',
  U: 'Female Reproductive System',
  V: 'Male Reproductive System',
  W: 'Anatomical Regions, General',
  X: 'Anatomical Regions, Upper Extremities',
  Y: 'Anatomical Regions, Lower Extremities',
};

export interface PcsOption {
  value: string;
  meaning: string;
  /** Valid codes under prefix + value. */
  codes: number;
}

export interface PcsStep {
  version: string;
  prefix: string;
  /** 1-based position of the axis offered (8 once the prefix is a whole code). */
  position: number;
  axis?: string | undefined;
  options: PcsOption[];
  /** The code, once all seven characters are chosen. */
  code?: { code: string; display: string } | undefined;
  /** Each chosen character with its meaning, in order. */
  chosen: Array<{ axis: string; value: string; meaning: string }>;
}

interface Catalogue {
  keys: string[];
  titles: Map<string, string>;
  common: Map<string, Set<string>>;
}

const catalogues = new WeakMap<CodeSetData, Catalogue>();

function catalogue(set: CodeSetData): Catalogue {
  let c = catalogues.get(set);
  if (!c) {
    const rows = [...set.byKey.values()].filter((r) => r.billable && r.key.length === 7);
    c = {
      keys: rows.map((r) => r.key).sort(),
      titles: new Map(rows.map((r) => [r.key, r.display])),
      common: new Map(),
    };
    catalogues.set(set, c);
  }
  return c;
}

/** The codes starting with a prefix: a range of the sorted keys. */
function under(c: Catalogue, prefix: string): string[] {
  let lo = 0;
  let hi = c.keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c.keys[mid]! < prefix) lo = mid + 1;
    else hi = mid;
  }
  const out: string[] = [];
  for (let i = lo; i < c.keys.length && c.keys[i]!.startsWith(prefix); i++) out.push(c.keys[i]!);
  return out;
}

const words = (title: string): string[] => title.split(/[\s,]+/).filter(Boolean);

/** The words every code under the prefix has in its title (cached per prefix). */
function commonWords(c: Catalogue, prefix: string): Set<string> {
  let common = c.common.get(prefix);
  if (common) return common;
  const keys = under(c, prefix);
  common = new Set(words(c.titles.get(keys[0] ?? '') ?? ''));
  for (const key of keys.slice(1)) {
    if (common.size === 0) break;
    const own = new Set(words(c.titles.get(key) ?? ''));
    for (const w of common) if (!own.has(w)) common.delete(w);
  }
  c.common.set(prefix, common);
  return common;
}

const CONNECTORS = new Set(['to', 'with', 'of', 'and', 'from', 'into', 'using', 'for', 'on', 'in']);

function meaningOf(c: Catalogue, prefix: string, value: string): string {
  const position = prefix.length + 1;
  if (position === 1) return SECTIONS[value] ?? '';
  if (position === 2 && prefix === '0') return SURGICAL_BODY_SYSTEMS[value] ?? '';
  const parent = commonWords(c, prefix);
  const own = commonWords(c, prefix + value);
  const first = under(c, prefix + value)[0];
  const ordered = [
    ...new Set(words(c.titles.get(first ?? '') ?? '').filter((w) => own.has(w) && !parent.has(w))),
  ];
  while (ordered.length && CONNECTORS.has(ordered[0]!.toLowerCase())) ordered.shift();
  while (ordered.length && CONNECTORS.has(ordered.at(-1)!.toLowerCase())) ordered.pop();
  const text = ordered.join(' ');
  if (text) return text;
  if (value === 'Z' && position === 6) return 'No Device';
  if (value === 'Z' && position === 7) return 'No Qualifier';
  return 'No further detail in the titles';
}

/**
 * The next step of the builder for a prefix of 0-7 characters: the values valid after it, each
 * with its meaning and how many codes it leads to. Undefined when no code starts with the prefix.
 */
export async function pcsBuilderStep(db: Db, prefix: string, fy?: string): Promise<PcsStep | undefined> {
  const cache = await getCodeCache(db);
  const version = fy ?? latestVersions(cache).get('icd10pcs');
  const set = version ? cache.sets.get(setKey('icd10pcs', version)) : undefined;
  return set ? pcsStepIn(set, prefix) : undefined;
}

/** The builder step over one loaded ICD-10-PCS release. */
export function pcsStepIn(set: CodeSetData, prefix: string): PcsStep | undefined {
  const version = set.version;
  const c = catalogue(set);
  const p = prefix.toUpperCase();
  const keys = under(c, p);
  if (keys.length === 0) return undefined;
  const chosen = [...p].map((value, i) => ({
    axis: PCS_AXES[i] ?? '',
    value,
    meaning: meaningOf(c, p.slice(0, i), value),
  }));
  if (p.length === 7) {
    return {
      version,
      prefix: p,
      position: 8,
      options: [],
      chosen,
      code: { code: p, display: c.titles.get(p) ?? '' },
    };
  }
  const counts = new Map<string, number>();
  for (const key of keys) {
    const v = key.charAt(p.length);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const options = [...counts].map(([value, codes]) => ({ value, meaning: meaningOf(c, p, value), codes }));
  return { version, prefix: p, position: p.length + 1, axis: PCS_AXES[p.length], options, chosen };
}
