import type { Db, Queryable } from '../db/index.ts';
import { DEFAULT_RULE_SET, type RuleSet } from './rules.ts';

/** The latest saved rule set, or the defaults (version 0) when none was saved. */
export async function currentRuleSet(q: Queryable): Promise<RuleSet> {
  const res = await q.query<{ version: number; rules: Omit<RuleSet, 'version'> | string }>(
    `SELECT version, rules FROM completeness_rules ORDER BY version DESC LIMIT 1`,
  );
  const row = res.rows[0];
  if (!row) return DEFAULT_RULE_SET;
  const saved =
    typeof row.rules === 'string' ? (JSON.parse(row.rules) as Omit<RuleSet, 'version'>) : row.rules;
  return { version: Number(row.version), ...saved };
}

/** Saves a new version (earlier versions are kept: which rules opened a deficiency stays known). */
export async function saveRuleSet(db: Db, set: Omit<RuleSet, 'version'>, savedBy: string): Promise<RuleSet> {
  return db.transaction(async (tx) => {
    // Two directors saving at once get consecutive versions, not a key conflict.
    await tx.query('SELECT pg_advisory_xact_lock(724501)');
    const res = await tx.query<{ version: number }>(
      `INSERT INTO completeness_rules (version, rules, saved_by)
       SELECT COALESCE(MAX(version), 0) + 1, $1::jsonb, $2 FROM completeness_rules RETURNING version`,
      [JSON.stringify({ settings: set.settings, rules: set.rules }), savedBy],
    );
    return { version: Number(res.rows[0]?.version), ...set };
  });
}
