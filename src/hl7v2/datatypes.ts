import type { Address, ContactPoint, HumanName, Identifier, Period } from '@medplum/fhirtypes';
import { decodeHl7Text } from './escape.ts';
import type { Hl7Delimiters } from './escape.ts';

/** What converting one message's data types needs to know about that message. */
export interface MapContext {
  delimiters: Hl7Delimiters;
  /** Offset (+hhmm / -hhmm) for times that carry none: MSH-7's offset, else the configured default. */
  defaultOffset: string;
  /** Identifier system for a CX without an assigning authority: the sending facility's (MSH-4). */
  defaultSystem: string | undefined;
  /** Data problems that do not stop the message (a bad birth date must not lose an admission). */
  warnings: string[];
}

/** A field repetition: its raw (still escaped) components, component 1 first. */
export type Components = readonly string[];

/** One subcomponent of component `n` (1-based), unescaped and trimmed; undefined when empty or `""`. */
export function text(comps: Components, n: number, ctx: MapContext, sub = 1): string | undefined {
  const raw = comps[n - 1];
  if (raw === undefined) {
    return undefined;
  }
  return clean(raw.split(ctx.delimiters.subcomponent)[sub - 1] ?? '', ctx);
}

/** All non-empty subcomponents of component `n`, unescaped. */
export function subcomponents(comps: Components, n: number, ctx: MapContext): string[] {
  const raw = comps[n - 1] ?? '';
  return raw
    .split(ctx.delimiters.subcomponent)
    .map((s) => clean(s, ctx))
    .filter((s): s is string => s !== undefined);
}

function clean(raw: string, ctx: MapContext): string | undefined {
  // `""` is HL7's explicit null ("delete this value"); an upsert treats it as absent rather than
  // erasing what the record already holds.
  if (raw === '' || raw === '""') {
    return undefined;
  }
  const value = decodeHl7Text(raw, ctx.delimiters).trim();
  return value === '' ? undefined : value;
}

// ---------------------------------------------------------------------------------------------------
// Dates and times (DT, TS, DTM): YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]

const HL7_TIME = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$/;

interface TimeParts {
  year: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  millis?: number;
  offset?: string;
}

function parseTimeParts(raw: string): TimeParts | undefined {
  const m = HL7_TIME.exec(raw);
  if (!m) {
    return undefined;
  }
  const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  const parts: TimeParts = {
    year: Number(m[1]),
    month: num(m[2]),
    day: num(m[3]),
    hour: num(m[4]),
    minute: num(m[5]),
    second: num(m[6]),
    millis: m[7] === undefined ? undefined : Math.round(Number(`0.${m[7]}`) * 1000),
    offset: m[8],
  };
  return validParts(parts) ? parts : undefined;
}

function validParts(p: TimeParts): boolean {
  if (p.month !== undefined && (p.month < 1 || p.month > 12)) return false;
  if (p.day !== undefined) {
    const daysInMonth = new Date(Date.UTC(p.year, p.month ?? 1, 0)).getUTCDate();
    if (p.day < 1 || p.day > daysInMonth) return false;
  }
  if (p.hour !== undefined && p.hour > 23) return false;
  if (p.minute !== undefined && p.minute > 59) return false;
  if (p.second !== undefined && p.second > 59) return false;
  if (p.offset !== undefined && (Number(p.offset.slice(1, 3)) > 14 || Number(p.offset.slice(3)) > 59))
    return false;
  return true;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function datePart(p: TimeParts): string {
  let out = pad(p.year, 4);
  if (p.month !== undefined) out += `-${pad(p.month)}`;
  if (p.month !== undefined && p.day !== undefined) out += `-${pad(p.day)}`;
  return out;
}

/**
 * An HL7 DT/TS as a FHIR `date` at the precision sent (YYYY, YYYY-MM or YYYY-MM-DD). The date is the
 * calendar date as written: a birth date is not shifted into UTC.
 */
export function hl7Date(raw: string | undefined, ctx: MapContext, what: string): string | undefined {
  if (raw === undefined) return undefined;
  const parts = parseTimeParts(raw);
  if (!parts) {
    ctx.warnings.push(`${what}: "${raw}" is not an HL7 date; ignored`);
    return undefined;
  }
  return datePart(parts);
}

/**
 * An HL7 TS/DTM as a FHIR `dateTime`: a date at the precision sent, or, when the time of day is given,
 * a UTC instant. A time without its own offset is read in `ctx.defaultOffset`.
 */
export function hl7DateTime(raw: string | undefined, ctx: MapContext, what: string): string | undefined {
  if (raw === undefined) return undefined;
  const parts = parseTimeParts(raw);
  if (!parts) {
    ctx.warnings.push(`${what}: "${raw}" is not an HL7 date/time; ignored`);
    return undefined;
  }
  if (parts.hour === undefined || parts.day === undefined || parts.month === undefined) {
    return datePart(parts);
  }
  const offset = parts.offset ?? ctx.defaultOffset;
  const sign = offset.startsWith('-') ? -1 : 1;
  const offsetMinutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5)));
  const utc =
    Date.UTC(
      parts.year,
      parts.month - 1,
      parts.day,
      parts.hour,
      parts.minute ?? 0,
      parts.second ?? 0,
      parts.millis ?? 0,
    ) -
    offsetMinutes * 60_000;
  const iso = new Date(utc).toISOString();
  return parts.millis === undefined ? iso.replace(/\.\d{3}Z$/, 'Z') : iso;
}

/** The offset (+hhmm/-hhmm) a TS carries, if any. */
export function offsetOf(raw: string | undefined): string | undefined {
  return raw === undefined ? undefined : parseTimeParts(raw)?.offset;
}

function period(start: string | undefined, end: string | undefined): Period | undefined {
  if (!start && !end) return undefined;
  return { ...(start ? { start } : {}), ...(end ? { end } : {}) };
}

// ---------------------------------------------------------------------------------------------------
// HD (assigning authority) and CX (identifier)

const OID = /^[0-2](\.(0|[1-9]\d*))+$/;
const URI = /^(https?|urn):\S+$/i;

/** URN prefix for assigning authorities known only by a local name. */
export const LOCAL_AUTHORITY_PREFIX = 'urn:custodian:hl7:assigning-authority:';

// Authorities whose FHIR identifier system is defined by HL7, so identifiers from HL7 v2 feeds match
// those arriving through FHIR (the MPI blocks and scores on system|value).
const WELL_KNOWN_SYSTEMS: ReadonlyMap<string, string> = new Map([
  ['USSSA', 'http://hl7.org/fhir/sid/us-ssn'],
  ['SSA', 'http://hl7.org/fhir/sid/us-ssn'],
  ['urn:oid:2.16.840.1.113883.4.1', 'http://hl7.org/fhir/sid/us-ssn'],
  ['urn:oid:2.16.840.1.113883.4.6', 'http://hl7.org/fhir/sid/us-npi'],
]);

/** An HD as its three parts. */
export interface HierarchicDesignator {
  namespaceId?: string;
  universalId?: string;
  universalIdType?: string;
}

/**
 * The identifier system (a URI) for an assigning authority: `urn:oid:<oid>` for an ISO OID, the URI
 * itself for a URI, `urn:uuid:` for a UUID, a small table of HL7-defined systems (SSN, NPI), and
 * otherwise `urn:custodian:hl7:assigning-authority:<name>` for a local name.
 */
export function authoritySystem(hd: HierarchicDesignator): string | undefined {
  const system = rawAuthoritySystem(hd);
  return system === undefined ? undefined : (WELL_KNOWN_SYSTEMS.get(system) ?? system);
}

function rawAuthoritySystem({
  namespaceId,
  universalId,
  universalIdType,
}: HierarchicDesignator): string | undefined {
  const type = universalIdType?.toUpperCase();
  if (namespaceId && WELL_KNOWN_SYSTEMS.has(namespaceId.toUpperCase())) {
    return namespaceId.toUpperCase();
  }
  if (universalId) {
    if (OID.test(universalId) && (type === 'ISO' || type === undefined)) return `urn:oid:${universalId}`;
    if (URI.test(universalId) && (type === 'URI' || type === undefined)) return universalId;
    if (type === 'UUID') return `urn:uuid:${universalId.toLowerCase()}`;
  }
  const name = namespaceId ?? universalId;
  if (!name) return undefined;
  if (OID.test(name)) return `urn:oid:${name}`;
  if (URI.test(name)) return name;
  return LOCAL_AUTHORITY_PREFIX + encodeURIComponent(name);
}

/** Reads an HD spread over subcomponents of one component (as in CX.4) or over components (MSH-4). */
export function hdFromSubcomponents(comps: Components, n: number, ctx: MapContext): HierarchicDesignator {
  return {
    namespaceId: text(comps, n, ctx, 1),
    universalId: text(comps, n, ctx, 2),
    universalIdType: text(comps, n, ctx, 3),
  };
}

export function hdFromComponents(comps: Components, ctx: MapContext): HierarchicDesignator {
  return {
    namespaceId: text(comps, 1, ctx),
    universalId: text(comps, 2, ctx),
    universalIdType: text(comps, 3, ctx),
  };
}

const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';

/**
 * CX -> Identifier: value CX.1, system from the assigning authority CX.4 (else the sending facility),
 * type CX.5 (HL7 table 0203), period CX.7-CX.8.
 */
export function identifierFromCx(comps: Components, ctx: MapContext): Identifier | undefined {
  const value = text(comps, 1, ctx);
  if (!value) return undefined;
  const system = authoritySystem(hdFromSubcomponents(comps, 4, ctx)) ?? ctx.defaultSystem;
  const typeCode = text(comps, 5, ctx);
  const validity = period(
    hl7Date(text(comps, 7, ctx), ctx, 'CX.7'),
    hl7Date(text(comps, 8, ctx), ctx, 'CX.8'),
  );
  return {
    ...(typeCode === 'MR' ? { use: 'usual' as const } : {}),
    ...(typeCode ? { type: { coding: [{ system: V2_0203, code: typeCode }] } } : {}),
    ...(system ? { system } : {}),
    value,
    ...(validity ? { period: validity } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// XPN (person name)

// HL7 table 0200 (name type) to FHIR name-use, after the HL7 v2-to-FHIR concept map.
const NAME_USE: Readonly<Record<string, HumanName['use']>> = {
  A: 'usual',
  B: 'old',
  BAD: 'old',
  C: 'official',
  D: 'usual',
  K: 'nickname',
  L: 'official',
  M: 'maiden',
  MSK: 'anonymous',
  N: 'nickname',
  NAV: 'temp',
  NOUSE: 'old',
  R: 'official',
  S: 'anonymous',
  T: 'usual',
  TEMP: 'temp',
};

/**
 * XPN -> HumanName: family XPN.1 (its surname subcomponent), given XPN.2 then XPN.3 (middle),
 * prefix XPN.5, suffix XPN.4 + XPN.6 (degree) + XPN.14 (professional suffix), use from XPN.7,
 * period XPN.12-XPN.13.
 */
export function nameFromXpn(comps: Components, ctx: MapContext): HumanName | undefined {
  const family = text(comps, 1, ctx);
  const given = [text(comps, 2, ctx), text(comps, 3, ctx)].filter(isString);
  const prefix = [text(comps, 5, ctx)].filter(isString);
  const suffix = [text(comps, 4, ctx), text(comps, 6, ctx), text(comps, 14, ctx)].filter(isString);
  if (!family && given.length === 0) return undefined;
  const typeCode = text(comps, 7, ctx);
  const use = typeCode ? NAME_USE[typeCode.toUpperCase()] : undefined;
  const validity = period(
    hl7DateTime(text(comps, 12, ctx), ctx, 'XPN.12'),
    hl7DateTime(text(comps, 13, ctx), ctx, 'XPN.13'),
  );
  return {
    ...(use ? { use } : {}),
    ...(family ? { family } : {}),
    ...(given.length ? { given } : {}),
    ...(prefix.length ? { prefix } : {}),
    ...(suffix.length ? { suffix } : {}),
    ...(validity ? { period: validity } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// XAD (address)

type AddressUseType = Pick<Address, 'use' | 'type'>;

// HL7 table 0190 (address type) to FHIR address use / type.
const ADDRESS_TYPE: Readonly<Record<string, AddressUseType>> = {
  H: { use: 'home' },
  P: { use: 'home' },
  RH: { use: 'home' },
  B: { use: 'work' },
  O: { use: 'work' },
  C: { use: 'temp' },
  BA: { use: 'old' },
  BI: { use: 'billing' },
  M: { type: 'postal' },
  SH: { type: 'postal' },
};

/**
 * XAD -> Address: line from XAD.1 (street; its subcomponents street/name/dwelling joined) and XAD.2,
 * city XAD.3, state XAD.4, postal code XAD.5, country XAD.6, use/type from XAD.7, district XAD.9,
 * period XAD.13-XAD.14 (or the older XAD.12 range).
 */
export function addressFromXad(comps: Components, ctx: MapContext): Address | undefined {
  const street = subcomponents(comps, 1, ctx).join(' ');
  const line = [street || undefined, text(comps, 2, ctx)].filter(isString);
  const city = text(comps, 3, ctx);
  const state = text(comps, 4, ctx);
  const postalCode = text(comps, 5, ctx);
  const country = text(comps, 6, ctx);
  const district = text(comps, 9, ctx);
  if (!line.length && !city && !state && !postalCode && !country) return undefined;
  const typeCode = text(comps, 7, ctx);
  const useType = typeCode ? ADDRESS_TYPE[typeCode.toUpperCase()] : undefined;
  const validity =
    period(
      hl7DateTime(text(comps, 13, ctx), ctx, 'XAD.13'),
      hl7DateTime(text(comps, 14, ctx), ctx, 'XAD.14'),
    ) ??
    period(
      hl7DateTime(text(comps, 12, ctx, 1), ctx, 'XAD.12'),
      hl7DateTime(text(comps, 12, ctx, 2), ctx, 'XAD.12'),
    );
  return {
    ...useType,
    ...(line.length ? { line } : {}),
    ...(city ? { city } : {}),
    ...(district ? { district } : {}),
    ...(state ? { state } : {}),
    ...(postalCode ? { postalCode } : {}),
    ...(country ? { country } : {}),
    ...(validity ? { period: validity } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// XTN (telecom)

const EMAIL_EQUIPMENT = new Set(['INTERNET', 'X.400']);

/**
 * XTN -> ContactPoint. Equipment XTN.3 picks the system (Internet/X.400 email, FX fax, BP pager,
 * CP mobile phone, else phone); the value is XTN.4 for email, else XTN.1, else XTN.12 (unformatted),
 * else one composed from XTN.5-XTN.8. Use comes from XTN.2 (PRN/ORN/VHN home, WPN work) and
 * otherwise from the field it came in (`defaultUse`: PID-13 home, PID-14 work).
 */
export function contactFromXtn(
  comps: Components,
  ctx: MapContext,
  defaultUse: ContactPoint['use'],
): ContactPoint | undefined {
  const useCode = text(comps, 2, ctx)?.toUpperCase();
  const equipment = text(comps, 3, ctx)?.toUpperCase();
  const isEmail = (equipment !== undefined && EMAIL_EQUIPMENT.has(equipment)) || useCode === 'NET';
  const value = isEmail
    ? (text(comps, 4, ctx) ?? text(comps, 1, ctx))
    : (text(comps, 1, ctx) ?? text(comps, 12, ctx) ?? composedNumber(comps, ctx));
  if (!value) return undefined;
  const system: ContactPoint['system'] = isEmail
    ? 'email'
    : equipment === 'FX'
      ? 'fax'
      : equipment === 'BP'
        ? 'pager'
        : 'phone';
  const use: ContactPoint['use'] =
    equipment === 'CP'
      ? 'mobile'
      : useCode === 'WPN'
        ? 'work'
        : useCode === 'PRN' || useCode === 'ORN' || useCode === 'VHN'
          ? 'home'
          : defaultUse;
  const rank = Number(text(comps, 18, ctx));
  const validity = period(
    hl7DateTime(text(comps, 13, ctx), ctx, 'XTN.13'),
    hl7DateTime(text(comps, 14, ctx), ctx, 'XTN.14'),
  );
  return {
    system,
    value,
    ...(use ? { use } : {}),
    ...(Number.isInteger(rank) && rank > 0 ? { rank } : {}),
    ...(validity ? { period: validity } : {}),
  };
}

function composedNumber(comps: Components, ctx: MapContext): string | undefined {
  const local = text(comps, 7, ctx);
  if (!local) return undefined;
  const country = text(comps, 5, ctx);
  const area = text(comps, 6, ctx);
  const extension = text(comps, 8, ctx);
  return [country ? `+${country}` : '', area ? `(${area})` : '', local, extension ? `x${extension}` : '']
    .filter(Boolean)
    .join(' ');
}

export function isString(value: string | undefined): value is string {
  return value !== undefined;
}
