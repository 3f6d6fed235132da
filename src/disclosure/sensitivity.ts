import type { Resource } from '@medplum/fhirtypes';
import type { RequesterType } from './terms.ts';

/**
 * Records whose law asks more than an ordinary authorization: psychotherapy notes (164.508(a)(2)),
 * substance use disorder records (42 CFR Part 2), HIV and genetic information (state laws). They
 * are known by their labels (`meta.security`, HL7 v3 ActCode sensitivity codes) and released only
 * when the authorization names one of the category's codes in `provision.securityLabel`. The
 * individual's own request gets them all but psychotherapy notes, which 164.524(a)(1)(i) leaves
 * out of the right of access.
 */

export const SPECIAL_CATEGORIES = {
  'psychotherapy-notes': { codes: ['PSYTHPN', 'PSY'], law: 'psychotherapy notes (45 CFR 164.508(a)(2))' },
  part2: { codes: ['SUD', 'ETH'], law: 'substance use disorder records (42 CFR Part 2)' },
  hiv: { codes: ['HIV'], law: 'HIV information' },
  genetic: { codes: ['GDIS', 'GENETIC'], law: 'genetic information' },
} as const;
export type SpecialCategory = keyof typeof SPECIAL_CATEGORIES;

const CATEGORY_NAMES = Object.keys(SPECIAL_CATEGORIES) as SpecialCategory[];

/** The special categories a record's labels put it in. */
export function specialCategoriesOf(resource: Resource): SpecialCategory[] {
  const codes = new Set((resource.meta?.security ?? []).map((c) => c.code ?? ''));
  return CATEGORY_NAMES.filter((name) => SPECIAL_CATEGORIES[name].codes.some((c) => codes.has(c)));
}

/** Why a labelled record may not go out under this request, or undefined when it may. */
export function withholdingReason(
  resource: Resource,
  requesterType: RequesterType,
  namedLabels: readonly string[],
): string | undefined {
  const individual = requesterType === 'patient' || requesterType === 'personal-representative';
  for (const category of specialCategoriesOf(resource)) {
    const rule = SPECIAL_CATEGORIES[category];
    const named = rule.codes.some((c) => namedLabels.includes(c));
    if (named) continue;
    if (individual && category !== 'psychotherapy-notes') continue;
    return `${rule.law}: released only when the authorization names them (${rule.codes.join(' or ')})`;
  }
  return undefined;
}
