import type { Queryable } from '../db/index.ts';
import { badRequest } from '../fhir/outcomes.ts';
import type { CompletenessSettings } from './rules.ts';

/**
 * Delinquency as accreditors compute it (Joint Commission: delinquent charts may not exceed 50%
 * of average monthly discharges): a chart is delinquent when a deficiency is still open more than
 * `delinquentAfterDays` after discharge. Measured at the end of the month asked for (or now, for
 * the current month) and divided by the average monthly discharges of that month and the two
 * before it. Aggregated in SQL over this module's own tables, never record by record in Node.
 */

export interface Bucket {
  label: string;
  deficiencies: number;
  charts: number;
}

export interface DelinquencyLine {
  id: string;
  name: string;
  delinquentCharts: number;
  openDeficiencies: number;
  /** Discharges over the three months. */
  discharges: number;
  averageMonthlyDischarges: number;
  /** delinquent / average monthly discharges; null without discharges. */
  rate: number | null;
  buckets: number[];
}

export interface DelinquencyReport {
  month: string;
  asOf: string;
  delinquentAfterDays: number;
  dischargeClasses: string[];
  dischargesByMonth: Array<{ month: string; discharges: number }>;
  averageMonthlyDischarges: number;
  delinquentCharts: number;
  rate: number | null;
  /** The accreditation threshold the rate is held against. */
  threshold: number;
  buckets: Bucket[];
  byProvider: DelinquencyLine[];
  byService: DelinquencyLine[];
}

const ACCREDITATION_THRESHOLD = 0.5;

/** First instant of a month `YYYY-MM` shifted by `shift` months. */
function monthStart(month: string, shift = 0): Date {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + shift, 1));
}

export function parseMonth(value: unknown, now: Date): string {
  if (value === undefined) return now.toISOString().slice(0, 7);
  if (typeof value !== 'string' || !/^\d{4}-(0[1-9]|1[0-2])$/.test(value))
    throw badRequest("month must be 'YYYY-MM'", ['month']);
  return value;
}

export function bucketLabels(edges: readonly number[]): string[] {
  const labels: string[] = [];
  let from = 0;
  for (const edge of edges) {
    labels.push(`${from}-${edge}`);
    from = edge + 1;
  }
  labels.push(`${from}+`);
  return labels;
}

/** Delinquent charts per average monthly discharge, from the three months' total (not the rounded average). */
const rate = (delinquent: number, discharges: number): number | null =>
  discharges > 0 ? Math.round(((delinquent * 3) / discharges) * 10_000) / 10_000 : null;

/**
 * Deficiencies open at `$1` (still requested, or closed after it) on discharged charts of the
 * counted classes, with the chart's age in days since discharge and its age bucket.
 */
const OPEN_AT = `
  SELECT d.task_id, d.encounter_id, COALESCE(d.owner_id, '') AS owner_id, COALESCE(d.owner_name, d.owner_id, 'Unassigned') AS owner_name,
         c.service, floor(extract(epoch FROM ($1::timestamptz - c.discharged_at)) / 86400)::int AS age,
         width_bucket(floor(extract(epoch FROM ($1::timestamptz - c.discharged_at)) / 86400)::int, $3::int[]) AS bucket
    FROM completeness_deficiency d JOIN completeness_chart c ON c.encounter_id = d.encounter_id
   WHERE c.class_code = ANY($2::text[]) AND c.discharged_at <= $1::timestamptz
     AND (d.status = 'requested' OR d.closed_at > $1::timestamptz)`;

interface LineRow {
  id: string;
  name: string;
  bucket: number;
  deficiencies: string;
  charts: string;
  delinquent: string;
}

interface DischargeRow {
  id: string;
  name: string;
  discharges: string;
}

function lines(rows: LineRow[], discharges: DischargeRow[], bucketCount: number): DelinquencyLine[] {
  const out = new Map<string, DelinquencyLine>();
  const line = (id: string, name: string): DelinquencyLine => {
    let l = out.get(id);
    if (!l) {
      l = {
        id,
        name,
        delinquentCharts: 0,
        openDeficiencies: 0,
        discharges: 0,
        averageMonthlyDischarges: 0,
        rate: null,
        buckets: new Array<number>(bucketCount).fill(0),
      };
      out.set(id, l);
    }
    return l;
  };
  for (const r of rows) {
    const l = line(r.id, r.name);
    l.openDeficiencies += Number(r.deficiencies);
    l.buckets[r.bucket] = (l.buckets[r.bucket] ?? 0) + Number(r.deficiencies);
  }
  for (const d of discharges) {
    const l = line(d.id, d.name);
    l.discharges = Number(d.discharges);
    l.averageMonthlyDischarges = Math.round((l.discharges / 3) * 100) / 100;
  }
  return [...out.values()];
}

/** The delinquency report of a month. */
export async function delinquencyReport(
  q: Queryable,
  settings: CompletenessSettings,
  month: string,
  now: Date = new Date(),
): Promise<DelinquencyReport> {
  const end = monthStart(month, 1);
  const asOf = end.getTime() < now.getTime() ? new Date(end.getTime() - 1) : now;
  const classes = settings.dischargeClasses;
  // width_bucket counts the thresholds at or below a value: bucket i holds ages up to edges[i].
  const thresholds = settings.agingBuckets.map((e) => e + 1);
  const params = [asOf.toISOString(), classes, thresholds, settings.delinquentAfterDays];
  const labels = bucketLabels(settings.agingBuckets);
  const windowParams = [monthStart(month, -2).toISOString(), end.toISOString(), classes];

  const perMonth = await q.query<{ month: string; discharges: string }>(
    `SELECT to_char(date_trunc('month', discharged_at AT TIME ZONE 'UTC'), 'YYYY-MM') AS month, count(*) AS discharges
       FROM completeness_chart WHERE discharged_at >= $1 AND discharged_at < $2 AND class_code = ANY($3::text[])
      GROUP BY 1`,
    windowParams,
  );
  const dischargesByMonth = [-2, -1, 0].map((shift) => {
    const m = monthStart(month, shift).toISOString().slice(0, 7);
    return { month: m, discharges: Number(perMonth.rows.find((r) => r.month === m)?.discharges ?? 0) };
  });
  const average = Math.round((dischargesByMonth.reduce((n, m) => n + m.discharges, 0) / 3) * 100) / 100;

  const totals = await q.query<{ bucket: number; deficiencies: string; charts: string; delinquent: string }>(
    `WITH open AS (${OPEN_AT})
     SELECT bucket, count(*) AS deficiencies, count(DISTINCT encounter_id) AS charts,
            count(DISTINCT encounter_id) FILTER (WHERE age > $4) AS delinquent
       FROM open GROUP BY ROLLUP (bucket)`,
    params,
  );
  const overall = totals.rows.find((r) => r.bucket === null);
  const buckets = labels.map((label, i) => {
    const r = totals.rows.find((x) => x.bucket === i);
    return { label, deficiencies: Number(r?.deficiencies ?? 0), charts: Number(r?.charts ?? 0) };
  });

  const grouped = async (idColumn: string, nameColumn: string): Promise<LineRow[]> =>
    (
      await q.query<LineRow>(
        `WITH open AS (${OPEN_AT})
         SELECT ${idColumn} AS id, ${nameColumn} AS name, bucket, count(*) AS deficiencies,
                count(DISTINCT encounter_id) AS charts, count(DISTINCT encounter_id) FILTER (WHERE age > $4) AS delinquent
           FROM open GROUP BY 1, 2, 3`,
        params,
      )
    ).rows;
  const delinquentBy = async (idColumn: string): Promise<Map<string, number>> => {
    const res = await q.query<{ id: string; delinquent: string }>(
      `WITH open AS (${OPEN_AT})
       SELECT ${idColumn} AS id, count(DISTINCT encounter_id) AS delinquent FROM open WHERE age > $4 GROUP BY 1`,
      params,
    );
    return new Map(res.rows.map((r) => [r.id, Number(r.delinquent)]));
  };
  const dischargesBy = async (idColumn: string, nameColumn: string): Promise<DischargeRow[]> =>
    (
      await q.query<DischargeRow>(
        `SELECT ${idColumn} AS id, ${nameColumn} AS name, count(*) AS discharges FROM completeness_chart
          WHERE discharged_at >= $1 AND discharged_at < $2 AND class_code = ANY($3::text[]) GROUP BY 1, 2`,
        windowParams,
      )
    ).rows;

  const finish = (ls: DelinquencyLine[], delinquent: Map<string, number>): DelinquencyLine[] =>
    ls
      .map((l) => {
        const d = delinquent.get(l.id) ?? 0;
        return { ...l, delinquentCharts: d, rate: rate(d, l.discharges) };
      })
      .sort(
        (a, b) =>
          b.delinquentCharts - a.delinquentCharts ||
          b.openDeficiencies - a.openDeficiencies ||
          a.name.localeCompare(b.name),
      );

  const byProvider = finish(
    lines(
      await grouped('owner_id', 'owner_name'),
      await dischargesBy(
        `COALESCE(attending_id, '')`,
        `COALESCE(attending_name, attending_id, 'Unassigned')`,
      ),
      labels.length,
    ),
    await delinquentBy('owner_id'),
  );
  const byService = finish(
    lines(await grouped('service', 'service'), await dischargesBy('service', 'service'), labels.length),
    await delinquentBy('service'),
  );
  const delinquentCharts = Number(overall?.delinquent ?? 0);
  return {
    month,
    asOf: asOf.toISOString(),
    delinquentAfterDays: settings.delinquentAfterDays,
    dischargeClasses: classes,
    dischargesByMonth,
    averageMonthlyDischarges: average,
    delinquentCharts,
    rate: rate(
      delinquentCharts,
      dischargesByMonth.reduce((n, m) => n + m.discharges, 0),
    ),
    threshold: ACCREDITATION_THRESHOLD,
    buckets,
    byProvider,
    byService,
  };
}

function csvCell(value: string | number | null): string {
  const s = value === null ? '' : String(value);
  // Quote when needed, and defuse spreadsheet formulas in names.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One row for the whole hospital, then one per provider and per service. */
export function delinquencyCsv(report: DelinquencyReport): string {
  const labels = report.buckets.map((b) => `days_${b.label}`);
  const header = [
    'dimension',
    'id',
    'name',
    'delinquent_charts',
    'open_deficiencies',
    'average_monthly_discharges',
    'rate',
    ...labels,
  ];
  const total: Array<string | number | null> = [
    'hospital',
    '',
    'All',
    report.delinquentCharts,
    report.buckets.reduce((n, b) => n + b.deficiencies, 0),
    report.averageMonthlyDischarges,
    report.rate,
    ...report.buckets.map((b) => b.deficiencies),
  ];
  const rowsOf = (dimension: string, ls: DelinquencyLine[]) =>
    ls.map((l) => [
      dimension,
      l.id,
      l.name,
      l.delinquentCharts,
      l.openDeficiencies,
      l.averageMonthlyDischarges,
      l.rate,
      ...l.buckets,
    ]);
  return [header, total, ...rowsOf('provider', report.byProvider), ...rowsOf('service', report.byService)]
    .map((r) => r.map(csvCell).join(','))
    .join('\r\n')
    .concat('\r\n');
}
