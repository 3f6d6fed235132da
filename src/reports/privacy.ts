import { tallyRecords } from '../fhir/tally.ts';
import type { Cell, ReportDefinition } from './definition.ts';

/**
 * The privacy officer's numbers: break-the-glass over time and who is looking at how much. Only
 * counts: the access report and the break-the-glass review (oversight.ts) show the events.
 */

interface GlassDay {
  day: string;
  username: string;
  grants: number;
  reviewed: number;
}

export const breakGlass: ReportDefinition = {
  name: 'break-glass',
  title: 'Break-the-glass',
  description:
    'Per UTC day and user: emergency access grants to restricted charts, how many reviewed, how many not yet.',
  audience: 'PrivacyReport',
  columns: [
    { name: 'day', label: 'Day', type: 'date' },
    { name: 'user', label: 'User', type: 'text' },
    { name: 'grants', label: 'Grants', type: 'number' },
    { name: 'reviewed', label: 'Reviewed', type: 'number' },
    { name: 'unreviewed', label: 'Awaiting review', type: 'number' },
  ],
  filters: { user: 'user name' },
  defaultDays: 29,
  async run({ db }, params) {
    // break_glass is the grant table of src/auth (migration 0102); counts only leave it.
    const res = await db.query<GlassDay>(
      `SELECT to_char(b.granted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, u.username,
              count(*)::int AS grants, count(b.reviewed_at)::int AS reviewed
         FROM break_glass b JOIN app_user u ON u.id = b.user_id
        WHERE b.granted_at >= $1::date AND b.granted_at < $2::date + 1
          AND ($3::text IS NULL OR u.username = $3::text)
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [params.from, params.to, params.filters.user ?? null],
    );
    return res.rows.map((r): Cell[] => [
      r.day,
      r.username,
      Number(r.grants),
      Number(r.reviewed),
      Number(r.grants) - Number(r.reviewed),
    ]);
  },
};

export const accessVolume: ReportDefinition = {
  name: 'access-volume',
  title: 'Access volume by user',
  description:
    'Per UTC day and user: recorded accesses (audit events), and how many were refused. The baseline for unusual-volume flags.',
  audience: 'PrivacyReport',
  columns: [
    { name: 'day', label: 'Day', type: 'date' },
    { name: 'user', label: 'User', type: 'text' },
    { name: 'accesses', label: 'Accesses', type: 'number' },
    { name: 'refused', label: 'Refused', type: 'number' },
  ],
  filters: { user: 'user name' },
  defaultDays: 29,
  async run({ store }, params) {
    const rows = await tallyRecords(store, {
      type: 'AuditEvent',
      where: [
        { param: 'date', date: params.from, prefix: 'ge' },
        { param: 'date', date: params.to, prefix: 'le' },
      ],
      by: [{ date: 'date', unit: 'day' }, { token: 'agent:identifier' }, { token: 'outcome' }],
    });
    const lines = new Map<string, { day: string; user: string; accesses: number; refused: number }>();
    for (const r of rows) {
      const [day, user, outcome] = r.keys;
      if (!day || !user) continue;
      if (params.filters.user && user !== params.filters.user) continue;
      const key = `${day}\u0000${user}`;
      const line = lines.get(key) ?? { day, user, accesses: 0, refused: 0 };
      line.accesses += r.count;
      if (outcome === '4') line.refused += r.count;
      lines.set(key, line);
    }
    return [...lines.values()]
      .sort((a, b) => a.day.localeCompare(b.day) || a.user.localeCompare(b.user))
      .map((l): Cell[] => [l.day, l.user, l.accesses, l.refused]);
  },
};
