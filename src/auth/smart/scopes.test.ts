import { describe, expect, it } from 'vitest';
import { parseScopes, scopesAllow } from '../../shared/scopes.ts';

describe('SMART scopes', () => {
  it('reads v2 and v1 forms alike and drops what it does not grant', () => {
    const set = parseScopes(
      'launch/patient patient/Observation.rs user/*.read user/*.write offline_access patient/Condition.sr user/Observation.rs?category=laboratory',
    );
    expect(set.launchPatient && set.refresh).toBe(true);
    expect(set.resources.map((s) => [s.context, s.resourceType, s.permissions.join('')])).toEqual([
      ['patient', 'Observation', 'rs'],
      ['user', '*', 'rs'],
      ['user', '*', 'cud'],
    ]);
    // Out of c-r-u-d-s order, and v2 with a query (a filter this server does not apply): not granted.
    expect(set.ignored).toEqual(['patient/Condition.sr', 'user/Observation.rs?category=laboratory']);
  });

  it('grants an action only with its permission letter', () => {
    const { resources } = parseScopes('user/Observation.r system/Patient.cs');
    expect(scopesAllow(resources, 'Observation', 'read')).toBe(true);
    expect(scopesAllow(resources, 'Observation', 'search')).toBe(false);
    expect(scopesAllow(resources, 'Patient', 'create')).toBe(true);
    expect(scopesAllow(resources, 'Patient', 'disclose')).toBe(false);
  });
});
