import type { ChartDocument, ChartFacts, Clinician } from './chart-facts.ts';
import type { CompletenessRule, DocumentRule, RuleSet, SignatureRule } from './rules.ts';

/**
 * The rules applied to one chart: every place a rule asks for something (a document for the
 * encounter or for each surgical procedure, a signature on each note), and whether the chart
 * has it. Pure; the reconciler turns unmet requirements into deficiency Tasks.
 */

export type DeficiencyKind = 'missing' | 'unsigned';

export interface Requirement {
  /** Stable across evaluations: `<encounter>|<rule>|<target>`. */
  key: string;
  ruleId: string;
  kind: DeficiencyKind;
  /** `encounter`, `Procedure/<id>` or `DocumentReference/<id>`. */
  target: string;
  description: string;
  owner: Clinician | undefined;
  /** When the clock started (admission, discharge, procedure, note date). */
  since: string;
  due: string;
  met: boolean;
}

const HOUR_MS = 3_600_000;

function plusHours(instant: string, hours: number): string {
  return new Date(Date.parse(instant) + hours * HOUR_MS).toISOString();
}

/** A chart is analysed once the patient is discharged: the encounter finished with an end time. */
export function isDischarged(facts: ChartFacts): facts is ChartFacts & { dischargedAt: string } {
  return facts.status === 'finished' && !!facts.dischargedAt && !Number.isNaN(Date.parse(facts.dischargedAt));
}

function hasType(doc: ChartDocument, rule: DocumentRule): boolean {
  return doc.types.some((t) => t.system === rule.document.system && t.code === rule.document.code);
}

function requirement(
  facts: ChartFacts,
  rule: CompletenessRule,
  target: string,
  fields: Pick<Requirement, 'kind' | 'description' | 'owner' | 'since' | 'met'>,
): Requirement {
  return {
    key: `${facts.encounterId}|${rule.id}|${target}`,
    ruleId: rule.id,
    target,
    due: plusHours(fields.since, rule.dueHours),
    ...fields,
  };
}

function documentRequirements(
  facts: ChartFacts & { dischargedAt: string },
  rule: DocumentRule,
): Requirement[] {
  const docs = facts.documents.filter((d) => hasType(d, rule));
  const name = rule.document.display ?? `${rule.document.system}|${rule.document.code}`;
  const code = `LOINC ${rule.document.code}`;
  if (rule.anchor !== 'surgical-procedure') {
    const since = rule.anchor === 'admission' ? (facts.admittedAt ?? facts.dischargedAt) : facts.dischargedAt;
    return [
      requirement(facts, rule, 'encounter', {
        kind: 'missing',
        description: `${name} (${code}) missing: ${rule.title}`,
        owner: facts.attending,
        since,
        met: docs.length > 0,
      }),
    ];
  }
  // One document per surgical procedure: a document naming the procedure (context.related)
  // counts for it; the others are matched to the remaining procedures in time order.
  const procedures = facts.procedures
    .filter((p) => p.surgical)
    .sort((a, b) => (a.performed ?? '').localeCompare(b.performed ?? ''));
  const unlinked = docs.filter((d) => !d.related.some((r) => r.startsWith('Procedure/')));
  let spare = unlinked.length;
  return procedures.map((p) => {
    let met = docs.some((d) => d.related.includes(`Procedure/${p.id}`));
    if (!met && spare > 0) {
      spare -= 1;
      met = true;
    }
    return requirement(facts, rule, `Procedure/${p.id}`, {
      kind: 'missing',
      description: `${name} (${code}) missing for Procedure/${p.id}: ${rule.title}`,
      owner: (rule.owner === 'performer' ? p.performer : undefined) ?? facts.attending,
      since: p.performed ?? facts.admittedAt ?? facts.dischargedAt,
      met,
    });
  });
}

function signatureRequirements(
  facts: ChartFacts & { dischargedAt: string },
  rule: SignatureRule,
): Requirement[] {
  return facts.documents.map((d) =>
    requirement(facts, rule, `DocumentReference/${d.id}`, {
      kind: 'unsigned',
      description: `DocumentReference/${d.id} not signed by its author: ${rule.title}`,
      owner: d.author ?? facts.attending,
      since: d.date && !Number.isNaN(Date.parse(d.date)) ? d.date : facts.dischargedAt,
      met: d.signed && d.docStatus !== 'preliminary',
    }),
  );
}

/** Every requirement of the rule set on this chart; none before discharge. */
export function evaluateChart(facts: ChartFacts, ruleSet: RuleSet): Requirement[] {
  if (!isDischarged(facts)) return [];
  return ruleSet.rules
    .filter((rule) => rule.classes.includes(facts.classCode))
    .flatMap((rule) =>
      rule.kind === 'document' ? documentRequirements(facts, rule) : signatureRequirements(facts, rule),
    );
}
