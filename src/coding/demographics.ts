import type { CodeSetData } from './cache.ts';
import { levelsOf } from './hierarchy.ts';

/**
 * Age and sex rules read from the tabular itself until the Medicare Code Editor tables arrive:
 * - sex: "male"/"female" in a chapter, block, category or code title ("Diseases of male genital
 *   organs (N40-N53)", "Female infertility", "... right female breast"), nearest level wins;
 * - maternity: notes saying codes are "for use only on maternal records" (Chapter 15, Z3A, Z37);
 * - newborn: notes saying codes are "for use on newborn records only" (Chapter 16).
 * The age limits for those two are the MCE's: maternity 12-55 years, newborn age 0.
 */
export const MATERNITY_AGES = { min: 12, max: 55 } as const;
export const NEWBORN_MAX_AGE = 0;

export interface DemographicRule {
  sex?: { value: 'male' | 'female'; from: string; reason: string };
  age?: { kind: 'maternity' | 'newborn'; from: string; reason: string };
}

const MATERNAL_NOTE = /only on (the )?maternal record|maternal records? only|on the mother's record/i;
const NEWBORN_NOTE = /newborn records? only|only on (the )?newborn record/i;

export function demographicRule(set: CodeSetData, key: string): DemographicRule {
  const rule: DemographicRule = {};
  for (const level of levelsOf(set, key)) {
    if (!rule.age) {
      for (const note of set.notes.get(level.ownerKey) ?? []) {
        if (note.kind !== 'notes') continue;
        const kind = MATERNAL_NOTE.test(note.text)
          ? 'maternity'
          : NEWBORN_NOTE.test(note.text)
            ? 'newborn'
            : undefined;
        if (kind) {
          rule.age = { kind, from: level.name, reason: note.text };
          break;
        }
      }
    }
    if (!rule.sex) {
      const sex = titleSex(level.title);
      if (sex) rule.sex = { value: sex, from: level.name, reason: level.title };
    }
  }
  if (!rule.sex && rule.age?.kind === 'maternity') {
    rule.sex = { value: 'female', from: rule.age.from, reason: rule.age.reason };
  }
  return rule;
}

/** The sex a title restricts a code to, if it names exactly one (or one patient, as in "in female patient"). */
export function titleSex(title: string): 'male' | 'female' | undefined {
  const t = title.toLowerCase();
  // "Male partner, perpetrator of maltreatment" describes someone other than the patient.
  if (t.includes('perpetrator')) return undefined;
  const female = /\bfemale\b/.test(t);
  const male = /\bmale\b/.test(t);
  if (female && male) {
    const patient = /\b(?:in|of) (female|male) patient\b/.exec(t);
    return patient ? (patient[1] as 'male' | 'female') : undefined;
  }
  if (female) return 'female';
  if (male) return 'male';
  return undefined;
}
