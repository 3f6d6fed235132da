import type { Encounter } from '@medplum/fhirtypes';
import type { ReactNode } from 'react';
import { classLabel, formatDay } from '../../fhir-format.ts';
import { navigate } from '../../router.tsx';
import { encounterStart } from './chart-data.ts';

const WIDTH = 1000;
const LANE = 34;
const TOP = 8;
const LEFT = 120;
const RIGHT = 16;
const AXIS = 26;

/** Lane order: the classes an HIM technician looks for first. */
const CLASS_ORDER = ['IMP', 'ACUTE', 'EMER', 'OBSENC', 'SS', 'AMB', 'VR', 'HH'];

/** Colours with at least 3:1 contrast on white, told apart by lane as well as by colour. */
const CLASS_COLOURS: Record<string, string> = {
  IMP: '#8a1c7c',
  ACUTE: '#8a1c7c',
  EMER: '#b3261e',
  OBSENC: '#9a5b00',
  SS: '#9a5b00',
  AMB: '#1f5fa8',
  VR: '#2e7d32',
  HH: '#2e7d32',
};

/**
 * The patient's encounters on a time axis, one lane per encounter class. A visual overview:
 * markers are clickable, and the encounter table below gives the same choices to the keyboard.
 */
export function EncounterTimeline({
  patientId,
  encounters,
  selected,
}: {
  patientId: string;
  encounters: Encounter[];
  selected?: string;
}): ReactNode {
  const dated = encounters.filter((e) => !Number.isNaN(Date.parse(encounterStart(e))));
  if (dated.length === 0) return null;
  const classes = [...new Set(dated.map((e) => e.class?.code ?? 'other'))].sort(
    (a, b) => rankOf(a) - rankOf(b) || a.localeCompare(b),
  );
  const times = dated.map((e) => Date.parse(encounterStart(e)));
  const firstYear = new Date(Math.min(...times)).getUTCFullYear();
  const lastYear = new Date(Math.max(...times)).getUTCFullYear() + 1;
  const t0 = Date.UTC(firstYear, 0, 1);
  const t1 = Date.UTC(lastYear, 0, 1);
  const x = (t: number): number => LEFT + ((t - t0) / (t1 - t0)) * (WIDTH - LEFT - RIGHT);
  const height = TOP + classes.length * LANE + AXIS;
  const span = lastYear - firstYear;
  const step = span <= 12 ? 1 : span <= 30 ? 5 : 10;
  const ticks: number[] = [];
  for (let y = Math.ceil(firstYear / step) * step; y <= lastYear; y += step) ticks.push(y);
  const summary = `${dated.length} encounters from ${firstYear} to ${lastYear - 1}: ${classes
    .map(
      (c) => `${dated.filter((e) => (e.class?.code ?? 'other') === c).length} ${classLabel(c).toLowerCase()}`,
    )
    .join(', ')}. The table below lists them.`;
  return (
    <figure className="timeline">
      <svg
        viewBox={`0 0 ${WIDTH} ${height}`}
        role="img"
        aria-label={`Encounter timeline. ${summary}`}
        preserveAspectRatio="xMidYMid meet"
      >
        {classes.map((c, i) => (
          <g key={c}>
            <rect
              x={LEFT}
              y={TOP + i * LANE}
              width={WIDTH - LEFT - RIGHT}
              height={LANE - 4}
              rx={4}
              className="lane"
            />
            <text x={LEFT - 8} y={TOP + i * LANE + LANE / 2 + 2} textAnchor="end" className="lane-label">
              {classLabel(c)}
            </text>
          </g>
        ))}
        {ticks.map((y) => (
          <g key={y}>
            <line
              x1={x(Date.UTC(y, 0, 1))}
              x2={x(Date.UTC(y, 0, 1))}
              y1={TOP}
              y2={TOP + classes.length * LANE}
              className="tick"
            />
            <text x={x(Date.UTC(y, 0, 1))} y={height - 8} textAnchor="middle" className="tick-label">
              {y}
            </text>
          </g>
        ))}
        {dated.map((e) => {
          const lane = classes.indexOf(e.class?.code ?? 'other');
          const cx = x(Date.parse(encounterStart(e)));
          const cy = TOP + lane * LANE + (LANE - 4) / 2;
          const isSelected = e.id === selected;
          return (
            <g
              key={e.id}
              className="marker"
              onClick={() =>
                navigate(
                  `/patients/${encodeURIComponent(patientId)}/encounters/${encodeURIComponent(e.id ?? '')}`,
                )
              }
            >
              <title>{`${formatDay(encounterStart(e))}: ${e.type?.[0]?.text ?? classLabel(e.class?.code)}`}</title>
              <circle
                cx={cx}
                cy={cy}
                r={isSelected ? 9 : 6}
                fill={CLASS_COLOURS[e.class?.code ?? ''] ?? '#555'}
                stroke={isSelected ? '#111' : '#fff'}
                strokeWidth={isSelected ? 3 : 1.5}
              />
            </g>
          );
        })}
      </svg>
      <figcaption>{summary}</figcaption>
    </figure>
  );
}

function rankOf(c: string): number {
  const i = CLASS_ORDER.indexOf(c);
  return i < 0 ? CLASS_ORDER.length : i;
}
