import { splitSearchOnComma } from '@medplum/core';
import { badRequest } from '../outcomes.ts';
import { dateRange, parseReference } from './normalize.ts';
import {
  PREFIXES,
  type Prefix,
  type QuantityValue,
  type RangeValue,
  type ReferenceValue,
  type TokenValue,
} from './types.ts';

/** Comma-separated alternatives, with `\,` kept inside a value (FHIR escaping). */
export function splitValues(raw: string): string[] {
  return splitSearchOnComma(raw).map((v) => v.trim());
}

/** Removes FHIR search escapes (`\,` `\|` `\$` `\\`). */
export function unescape(value: string): string {
  return value.replace(/\\([,|$\\])/g, '$1');
}

/** Splits on the first `separator` (`|` of a token, `$` of a composite) not escaped by a backslash. */
export function splitUnescaped(value: string, separator: '|' | '$'): [string, string] | undefined {
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\') i++;
    else if (value[i] === separator) return [value.slice(0, i), value.slice(i + 1)];
  }
  return undefined;
}

export function parseTokenValue(code: string, raw: string): TokenValue {
  const parts = splitUnescaped(raw, '|');
  if (!parts) {
    if (!raw) throw badRequest(`Empty value for ${code}`);
    return { code: unescape(raw) };
  }
  const [system, value] = parts;
  if (!system && !value) throw badRequest(`Empty token for ${code}`);
  return {
    system: system ? unescape(system) : null,
    ...(value ? { code: unescape(value) } : {}),
  };
}

function splitPrefix(code: string, raw: string): [Prefix, string] {
  const head = raw.slice(0, 2);
  if (/^[a-z]{2}/.test(raw)) {
    if (!(PREFIXES as readonly string[]).includes(head))
      throw badRequest(`Unknown prefix '${head}' in ${code}`);
    return [head as Prefix, raw.slice(2)];
  }
  return ['eq', raw];
}

export function parseDateValue(code: string, raw: string): RangeValue {
  const [prefix, text] = splitPrefix(code, raw);
  // A '+' zone offset arrives as a space when the client did not percent-encode it.
  const range = dateRange(text.replace(' ', '+'));
  if (!range) throw badRequest(`Invalid date '${raw}' for ${code}`);
  return { prefix, ...range };
}

/** A number with its implicit precision: `100` covers [99.5, 100.5], `1.50` covers [1.495, 1.505]. */
export function parseNumberValue(code: string, raw: string): QuantityValue {
  const [prefix, rest] = splitPrefix(code, raw);
  const parts = splitUnescaped(rest, '|');
  const numberText = parts ? parts[0] : rest;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(numberText)) {
    throw badRequest(`Invalid number '${raw}' for ${code}`);
  }
  const value = Number(numberText);
  const decimals = /\.(\d+)/.exec(numberText)?.[1]?.length ?? 0;
  const exponent = Number(/[eE]([+-]?\d+)/.exec(numberText)?.[1] ?? 0);
  const half = 0.5 * 10 ** (exponent - decimals);
  const result: QuantityValue = {
    prefix,
    value: numberText,
    low: String(value - half),
    high: String(value + half),
  };
  if (parts) {
    const [system, unit] = splitUnescaped(parts[1], '|') ?? [undefined, parts[1]];
    if (system) result.system = unescape(system);
    if (unit) result.unit = unescape(unit);
  }
  return result;
}

export function parseReferenceValue(code: string, raw: string, typeModifier?: string): ReferenceValue {
  const text = unescape(raw);
  if (!text) throw badRequest(`Empty reference for ${code}`);
  const target = parseReference(text);
  if (!target) throw badRequest(`Invalid reference '${raw}' for ${code}`);
  const type = target.type ?? undefined;
  if (typeModifier && type && type !== typeModifier) {
    throw badRequest(`Reference '${raw}' does not match type modifier :${typeModifier}`);
  }
  // A bare id (no slash) gives type null: any target type matches unless the modifier narrows it.
  const narrowed = typeModifier ?? type;
  return { id: target.id, ...(narrowed ? { type: narrowed } : {}) };
}
