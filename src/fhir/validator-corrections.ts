import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

/**
 * Findings of @medplum/core's validator that R4 itself does not make (issue #14 item 7): the
 * specification's own examples are refused for them. Each rule below drops one kind of finding
 * only where R4 accepts the value; every other finding stands, and validation is never skipped.
 */
export function withoutFalseFindings(
  resource: object,
  issues: OperationOutcomeIssue[],
): OperationOutcomeIssue[] {
  return issues.filter((issue) => !isFalseFinding(resource, issue));
}

/** RFC 4648 base64 once its whitespace is removed (what R4's base64Binary is). */
const BASE64 = /^(?:[A-Za-z\d+/]{4})*(?:[A-Za-z\d+/]{2}==|[A-Za-z\d+/]{3}=)?$/;

/** The element names of R4 whose type is base64Binary (from profiles-types/-resources). */
const BASE64_ELEMENTS = new Set([
  'data',
  'hash',
  'query',
  'carrierAIDC',
  'valueBase64Binary',
  'defaultValueBase64Binary',
  'fixedBase64Binary',
  'patternBase64Binary',
]);

function isFalseFinding(resource: object, issue: OperationOutcomeIssue): boolean {
  if (issue.severity !== 'error') return false;
  const text = issue.details?.text ?? '';
  const path = issue.expression?.[0];
  if (!path) return false;
  if (text.startsWith('Constraint ras-2 not met')) return isPredictionWithoutDecimal(valueAt(resource, path));
  if (text === 'Invalid base64Binary format') return isBase64WithWhitespace(valueAt(resource, path));
  if (text === 'String cannot be larger than 1 MB') return isUnlimitedType(resource, path);
  return false;
}

/**
 * ras-2 is `probability is decimal implies (probability as decimal) <= 100`: it limits a decimal
 * probability only. With no probability the left side is empty, and Medplum counts the empty
 * result as a failure; R4's examples RiskAssessment-breastcancer-risk and -prognosis have such
 * predictions. A prediction with a decimal probability keeps the finding (it is over 100).
 */
function isPredictionWithoutDecimal(prediction: unknown): boolean {
  return isObject(prediction) && prediction.probabilityDecimal === undefined;
}

/**
 * R4's base64Binary regex is `(\s*([0-9a-zA-Z\+\=]){4}\s*)+`: whitespace between the groups is
 * allowed (Binary-example and Media-example wrap their data); Medplum's regex has none.
 */
function isBase64WithWhitespace(value: unknown): boolean {
  return typeof value === 'string' && /\s/.test(value) && BASE64.test(value.replace(/\s+/g, ''));
}

/**
 * R4 limits `string` to 1 MB (datatypes.html#string); Medplum applies that to every text-valued
 * type. A narrative (xhtml, Narrative.div: ValueSet-c80-doc-typecodes holds one over 1 MB) and
 * base64Binary content have no such limit. `data` is base64Binary in Binary, Attachment and
 * Signature but a string in SampledData, which always has `dimensions`.
 */
function isUnlimitedType(resource: object, path: string): boolean {
  const parent = valueAt(resource, path.slice(0, path.lastIndexOf('.')));
  const name = isObject(parent) ? keyOf(parent, path.slice(path.lastIndexOf('.') + 1)) : undefined;
  const value = name && isObject(parent) ? parent[name] : undefined;
  if (typeof value !== 'string') return false;
  if (name === 'div') return true;
  if (!name || !BASE64_ELEMENTS.has(name)) return false;
  if (name === 'data' && isObject(parent) && parent.dimensions !== undefined) return false;
  return BASE64.test(value.replace(/\s+/g, ''));
}

/** The value at a validator path such as `Bundle.entry[0].resource.value[x].data` (its first name is the root's type). */
function valueAt(resource: object, path: string): unknown {
  let value: unknown = resource;
  for (const step of path.split('.').slice(1)) {
    const key = isObject(value) ? keyOf(value, step) : undefined;
    if (!key || !isObject(value)) return undefined;
    value = value[key];
    const index = /\[(\d+)\]$/.exec(step)?.[1];
    if (index !== undefined) value = Array.isArray(value) ? (value[Number(index)] as unknown) : undefined;
  }
  return value;
}

/** The key a path step names in an object: `prediction[1]` is `prediction`, a choice `value[x]` the `valueX` present. */
function keyOf(value: Record<string, unknown>, step: string): string | undefined {
  const m = /^([A-Za-z0-9_]+)(\[x\]|\[\d+\])?$/.exec(step);
  if (!m?.[1]) return undefined;
  const name = m[1];
  if (m[2] !== '[x]') return name;
  return Object.keys(value).find((k) => k.startsWith(name) && /^[A-Z]/.test(k.slice(name.length)));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}
