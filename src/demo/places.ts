import { weighted } from './prng.ts';
import type { Rng, WeightedTable } from './prng.ts';

/**
 * Where patients live. A hospital draws most of its patients from its own region, so the demo
 * hospital sits in central Ohio: 85% of addresses come from the surrounding towns (real ZIP codes
 * and area codes), the rest from large cities elsewhere (travellers, people who moved).
 */
export interface Place {
  city: string;
  state: string;
  zips: readonly string[];
  areaCodes: readonly string[];
}

const LOCAL: ReadonlyArray<readonly [Place, number]> = [
  [
    {
      city: 'Columbus',
      state: 'OH',
      zips: [
        '43201',
        '43202',
        '43203',
        '43204',
        '43205',
        '43206',
        '43207',
        '43209',
        '43210',
        '43211',
        '43212',
        '43213',
        '43214',
        '43215',
        '43219',
        '43220',
        '43221',
        '43222',
        '43223',
        '43224',
        '43227',
        '43228',
        '43229',
        '43231',
        '43232',
        '43235',
      ],
      areaCodes: ['614', '380'],
    },
    40,
  ],
  [{ city: 'Dublin', state: 'OH', zips: ['43016', '43017'], areaCodes: ['614'] }, 4],
  [{ city: 'Westerville', state: 'OH', zips: ['43081', '43082'], areaCodes: ['614'] }, 4],
  [{ city: 'Hilliard', state: 'OH', zips: ['43026'], areaCodes: ['614'] }, 3],
  [{ city: 'Grove City', state: 'OH', zips: ['43123'], areaCodes: ['614'] }, 3],
  [{ city: 'Reynoldsburg', state: 'OH', zips: ['43068'], areaCodes: ['614'] }, 3],
  [{ city: 'Gahanna', state: 'OH', zips: ['43230'], areaCodes: ['614'] }, 3],
  [{ city: 'Worthington', state: 'OH', zips: ['43085'], areaCodes: ['614'] }, 2],
  [{ city: 'Delaware', state: 'OH', zips: ['43015'], areaCodes: ['740'] }, 3],
  [{ city: 'Newark', state: 'OH', zips: ['43055'], areaCodes: ['740'] }, 3],
  [{ city: 'Lancaster', state: 'OH', zips: ['43130'], areaCodes: ['740'] }, 3],
  [{ city: 'Marysville', state: 'OH', zips: ['43040'], areaCodes: ['937'] }, 2],
  [{ city: 'Pickerington', state: 'OH', zips: ['43147'], areaCodes: ['614'] }, 2],
  [{ city: 'Powell', state: 'OH', zips: ['43065'], areaCodes: ['614'] }, 2],
  [{ city: 'Canal Winchester', state: 'OH', zips: ['43110'], areaCodes: ['614'] }, 1],
  [{ city: 'Groveport', state: 'OH', zips: ['43125'], areaCodes: ['614'] }, 1],
  [{ city: 'London', state: 'OH', zips: ['43140'], areaCodes: ['740'] }, 1],
  [{ city: 'Circleville', state: 'OH', zips: ['43113'], areaCodes: ['740'] }, 1],
  [{ city: 'Mount Vernon', state: 'OH', zips: ['43050'], areaCodes: ['740'] }, 1],
  [{ city: 'Marion', state: 'OH', zips: ['43302'], areaCodes: ['740'] }, 2],
  [{ city: 'Zanesville', state: 'OH', zips: ['43701'], areaCodes: ['740'] }, 2],
];

const FAR: ReadonlyArray<readonly [Place, number]> = [
  [{ city: 'Cleveland', state: 'OH', zips: ['44102', '44105', '44113'], areaCodes: ['216'] }, 4],
  [{ city: 'Cincinnati', state: 'OH', zips: ['45202', '45211', '45238'], areaCodes: ['513'] }, 4],
  [{ city: 'Dayton', state: 'OH', zips: ['45402', '45405', '45420'], areaCodes: ['937'] }, 3],
  [{ city: 'Pittsburgh', state: 'PA', zips: ['15213', '15217', '15222'], areaCodes: ['412'] }, 2],
  [{ city: 'Indianapolis', state: 'IN', zips: ['46201', '46220', '46227'], areaCodes: ['317'] }, 2],
  [{ city: 'Detroit', state: 'MI', zips: ['48201', '48205', '48226'], areaCodes: ['313'] }, 2],
  [{ city: 'Chicago', state: 'IL', zips: ['60614', '60618', '60629'], areaCodes: ['312', '773'] }, 2],
  [{ city: 'Louisville', state: 'KY', zips: ['40202', '40205', '40214'], areaCodes: ['502'] }, 1],
  [{ city: 'New York', state: 'NY', zips: ['10001', '10025', '10463'], areaCodes: ['212', '646'] }, 1],
  [{ city: 'Atlanta', state: 'GA', zips: ['30303', '30309', '30318'], areaCodes: ['404'] }, 1],
  [{ city: 'Houston', state: 'TX', zips: ['77002', '77036', '77084'], areaCodes: ['713'] }, 1],
  [{ city: 'Phoenix', state: 'AZ', zips: ['85003', '85015', '85032'], areaCodes: ['602'] }, 1],
  [{ city: 'Nashville', state: 'TN', zips: ['37203', '37211', '37216'], areaCodes: ['615'] }, 1],
  [{ city: 'Tampa', state: 'FL', zips: ['33602', '33610', '33615'], areaCodes: ['813'] }, 1],
];

const STREETS = [
  'Main',
  'High',
  'Broad',
  'Oak',
  'Maple',
  'Elm',
  'Park',
  'Cedar',
  'Washington',
  'Lake',
  'Hill',
  'Walnut',
  'Sunset',
  'Lincoln',
  'Jackson',
  'Church',
  'Spring',
  'River',
  'Cherry',
  'Mill',
  'Summit',
  'Chestnut',
  'Franklin',
  'Hickory',
  'Willow',
  'Meadow',
  'Forest',
  'Ridge',
  'Pine',
  'Madison',
  'Jefferson',
  'Highland',
  'Sycamore',
  'Dogwood',
  'Cleveland',
  'Morse',
  'Karl',
  'Livingston',
  'Refugee',
  'Sawmill',
  'Olentangy',
  'Hamilton',
  'Cassady',
  'Hudson',
  'Fifth',
  'Third',
  'Fourth',
  'Indianola',
  'Schrock',
  'Bethel',
  'Kenny',
  'Riverside',
  'Granville',
];
const STREET_TYPES = ['St', 'Ave', 'Rd', 'Dr', 'Ln', 'Ct', 'Blvd', 'Way', 'Pl', 'Cir'];

let localTable: WeightedTable<Place> | undefined;
let farTable: WeightedTable<Place> | undefined;

export function pickPlace(rng: Rng): Place {
  localTable ??= weighted(LOCAL);
  farTable ??= weighted(FAR);
  return rng.chance(0.85) ? rng.pickWeighted(localTable) : rng.pickWeighted(farTable);
}

export function streetLine(rng: Rng): string {
  const number = rng.chance(0.7) ? rng.int(100, 9999) : rng.int(10, 99999);
  return `${number} ${rng.pick(STREETS)} ${rng.pick(STREET_TYPES)}`;
}

/** An apartment line for about one address in six. */
export function unitLine(rng: Rng): string | undefined {
  if (!rng.chance(0.16)) return undefined;
  return rng.chance(0.5)
    ? `Apt ${rng.int(1, 40)}${rng.pick(['', 'A', 'B', 'C'])}`
    : `Unit ${rng.int(100, 450)}`;
}

/** A ten-digit phone number in NANP shape: exchange 200-999, never an N11 service code. */
export function phoneNumber(rng: Rng, place: Place): string {
  let exchange = rng.int(200, 999);
  if (exchange % 100 === 11) exchange += 1;
  return `${rng.pick(place.areaCodes)}-${exchange}-${String(rng.int(0, 9999)).padStart(4, '0')}`;
}
