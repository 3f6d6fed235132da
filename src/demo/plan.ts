import { SCENARIOS } from './clinical.ts';
import type { EncounterClass, Scenario } from './clinical.ts';
import type { Person } from './person.ts';
import { weighted } from './prng.ts';
import type { Rng } from './prng.ts';
import type { RecordContext } from './record-context.ts';
import { ageAt, DAY, HOUR, MINUTE, parseDate } from './time.ts';

/** When a record's visits happen, of which class and scenario, and how long they last. */
export interface PlannedEncounter {
  cls: EncounterClass;
  scenario: Scenario;
  start: number;
  end: number | undefined;
  principal: string;
}
/** Plans the visits of one record: classes, scenarios and non-overlapping periods. */
export function planEncounters(
  rng: Rng,
  ctx: RecordContext,
  person: Person,
  birthDate: string,
  count: number,
  mayBeOpen: boolean,
  before: number = Infinity,
): PlannedEncounter[] {
  const earliest = Math.max(ctx.windowStart, parseDate(birthDate) + DAY);
  const latest = Math.min(ctx.windowEnd, before - DAY);
  const span = Math.max(latest - earliest, DAY);
  const starts: number[] = [];
  for (let i = 0; i < count; i++) starts.push(earliest + Math.floor(rng.next() * (span / DAY)) * DAY);
  starts.sort((a, b) => a - b);
  const planned: PlannedEncounter[] = [];
  let free = earliest;
  for (let i = 0; i < starts.length; i++) {
    let day = Math.max(starts[i] ?? earliest, free);
    const age = ageAt(birthDate, day);
    const cls = rng.pickWeighted(age >= 65 ? CLASSES_OLD : CLASSES);
    const scenario = pickScenario(rng, cls, age, person);
    const principal = scenario.key === 'chronic-follow-up' ? rng.pick(person.chronic) : scenario.dx;
    const open = mayBeOpen && i === starts.length - 1 && cls !== 'AMB' && rng.chance(0.04);
    if (open) day = Math.max(free, ctx.windowEnd - (cls === 'IMP' ? rng.int(0, 3) * DAY : 0) - DAY);
    const start = day + startHour(rng, cls, scenario) + rng.int(0, 59) * MINUTE;
    const end = open ? undefined : start + duration(rng, cls, scenario);
    planned.push({ cls, scenario, start, end, principal });
    free = (end ?? start) + DAY;
  }
  // Overlap shifting can push a visit past the limit (a death date): drop those, keep at least one.
  const within = planned.filter((v) => v.start < before);
  return within.length > 0 ? within : planned.slice(0, 1);
}

const CLASSES = weighted<EncounterClass>([
  ['AMB', 55],
  ['EMER', 27],
  ['IMP', 18],
]);
const CLASSES_OLD = weighted<EncounterClass>([
  ['AMB', 50],
  ['EMER', 24],
  ['IMP', 26],
]);

function pickScenario(rng: Rng, cls: EncounterClass, age: number, person: Person): Scenario {
  const eligible = SCENARIOS.filter(
    (s) =>
      s.cls === cls &&
      (s.minAge === undefined || age >= s.minAge) &&
      (s.maxAge === undefined || age <= s.maxAge) &&
      (s.sex === undefined || s.sex === person.sex) &&
      (s.key !== 'chronic-follow-up' || person.chronic.length > 0),
  );
  const options =
    eligible.length > 0
      ? eligible
      : SCENARIOS.filter(
          (s) => s.cls === cls && s.minAge === undefined && s.maxAge === undefined && s.sex === undefined,
        );
  return rng.pickWeighted(weighted(options.map((s) => [s, s.weight] as const)));
}

function startHour(rng: Rng, cls: EncounterClass, scenario: Scenario): number {
  if (cls === 'EMER' || (cls === 'IMP' && !scenario.planned)) return rng.int(0, 23) * HOUR;
  return rng.int(7, 16) * HOUR;
}

function duration(rng: Rng, cls: EncounterClass, scenario: Scenario): number {
  switch (cls) {
    case 'IMP': {
      const [min, max] = scenario.los ?? [2, 5];
      return rng.int(min, max) * DAY + rng.int(-6, 6) * HOUR;
    }
    case 'EMER':
      return rng.int(2, 8) * HOUR + rng.int(0, 59) * MINUTE;
    case 'AMB':
      return rng.int(15, 60) * MINUTE;
    default: {
      const unknown: never = cls;
      throw new Error(`unknown class ${String(unknown)}`);
    }
  }
}
