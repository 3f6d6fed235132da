import type { Bundle, Organization, Practitioner, Reference } from '@medplum/fhirtypes';
import { familyName, givenName } from './names.ts';
import type { Sex } from './names.ts';
import { Rng } from './prng.ts';

/**
 * The demo hospital and its clinicians. They are the same for every seed (fixed ids, fixed
 * names), so demo sets of different seeds share one facility and loading it twice changes
 * nothing: the bundle uses PUT with these ids.
 */
export const ORGANIZATION_ID = 'demo-hospital';
export const ORGANIZATION_REF = `Organization/${ORGANIZATION_ID}`;
export const PRACTITIONER_SYSTEM = 'http://custodian.example/practitioner';

export type Role = 'hospitalist' | 'emergency' | 'family' | 'surgeon' | 'cardiology' | 'obstetrics';

const ROLE_COUNTS: ReadonlyArray<readonly [Role, number]> = [
  ['hospitalist', 8],
  ['emergency', 6],
  ['family', 10],
  ['surgeon', 4],
  ['cardiology', 3],
  ['obstetrics', 3],
];

const FACILITY_SEED = 20240101;

export interface Clinician {
  id: string;
  role: Role;
  ref: Reference<Practitioner> & { reference: string; display: string };
  resource: Practitioner;
}

let clinicians: Clinician[] | undefined;
let byRole: Map<Role, Clinician[]> | undefined;

export function allClinicians(): Clinician[] {
  if (clinicians) return clinicians;
  const rng = new Rng(FACILITY_SEED);
  const list: Clinician[] = [];
  for (const [role, count] of ROLE_COUNTS) {
    for (let i = 1; i <= count; i++) {
      const sex: Sex = rng.chance(0.5) ? 'female' : 'male';
      const given = givenName(rng, sex);
      const family = familyName(rng);
      const id = `demo-${role}-${String(i).padStart(2, '0')}`;
      const display = `Dr. ${given} ${family}`;
      const resource: Practitioner = {
        resourceType: 'Practitioner',
        id,
        identifier: [{ system: PRACTITIONER_SYSTEM, value: id }],
        active: true,
        name: [{ use: 'official', family, given: [given], prefix: ['Dr.'], suffix: ['MD'] }],
        gender: sex,
        qualification: [{ code: { text: `MD, ${role}` } }],
      };
      list.push({ id, role, ref: { reference: `Practitioner/${id}`, display }, resource });
    }
  }
  clinicians = list;
  return list;
}

export function clinician(rng: Rng, role: Role): Clinician {
  if (!byRole) {
    byRole = new Map();
    for (const c of allClinicians()) byRole.set(c.role, [...(byRole.get(c.role) ?? []), c]);
  }
  return rng.pick(byRole.get(role) ?? []);
}

export function organization(): Organization {
  return {
    resourceType: 'Organization',
    id: ORGANIZATION_ID,
    identifier: [{ system: 'http://custodian.example/organization', value: ORGANIZATION_ID }],
    active: true,
    type: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/organization-type',
            code: 'prov',
            display: 'Healthcare Provider',
          },
        ],
      },
    ],
    name: 'Custodian Demo Medical Center',
    telecom: [{ system: 'phone', value: '614-200-0100', use: 'work' }],
    address: [
      {
        use: 'work',
        line: ['100 Medical Center Dr'],
        city: 'Columbus',
        state: 'OH',
        postalCode: '43210',
        country: 'US',
      },
    ],
  };
}

/**
 * A transaction Bundle that creates (or leaves as they are) the demo hospital and its clinicians.
 * Load it before any patient bundle: patient bundles refer to these resources by id.
 */
export function demoFacilityBundle(): Bundle {
  const resources: Array<Organization | Practitioner> = [
    organization(),
    ...allClinicians().map((c) => c.resource),
  ];
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource) => ({
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id ?? ''}` },
    })),
  };
}
