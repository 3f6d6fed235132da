import type { OperationOutcome, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BreakGlassGrant } from '../auth/break-glass.ts';
import { isAllowed, ROLES, type Role } from '../shared/index.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/**
 * Reviewing a break-the-glass grant is an attestation, not a read of the trail: it has its own
 * permission (BreakGlassReview update), and nobody reviews a grant of their own.
 */
let server: TestServer;
let patientId = '';
beforeAll(async () => {
  server = await startTestServer();
  const res = await server.call('admin', 'POST', '/fhir/R4/Patient', {
    resourceType: 'Patient',
    name: [{ family: 'Glassreview' }],
    meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] },
  });
  patientId = ((await res.json()) as Patient).id ?? '';
});
afterAll(async () => server?.stop());

async function breakGlass(role: Role): Promise<BreakGlassGrant> {
  const res = await server.call(role, 'POST', '/auth/break-glass', {
    patient: patientId,
    reason: 'Emergency admission, chart needed now',
  });
  expect(res.status).toBe(201);
  return (await res.json()) as BreakGlassGrant;
}

const review = (role: Role, grantId: string) =>
  server.call(role, 'POST', `/audit/break-glass/${grantId}/review`, { note: 'Reason checked' });

async function grant(id: string): Promise<BreakGlassGrant | undefined> {
  const res = await server.call('privacy-officer', 'GET', '/audit/break-glass');
  return ((await res.json()) as { grants: BreakGlassGrant[] }).grants.find((g) => g.id === id);
}

describe('break-the-glass review', () => {
  it('is its own permission: the privacy officer and the HIM director, not every reader of the trail', () => {
    const reviewers = ROLES.filter((role) => isAllowed(role, 'BreakGlassReview', 'update'));
    expect(reviewers).toEqual(['privacy-officer', 'him-director']);
    for (const role of ['auditor', 'admin'] as const)
      expect(isAllowed(role, 'AuditEvent', 'read')).toBe(true);
  });

  it('is refused to roles that may only read the audit trail, and the grant stays unreviewed', async () => {
    const technicians = await breakGlass('him-technician');
    for (const role of ['auditor', 'admin', 'him-technician'] as const) {
      const res = await review(role, technicians.id);
      expect(res.status, role).toBe(403);
      expect(((await res.json()) as OperationOutcome).resourceType).toBe('OperationOutcome');
    }
    expect((await grant(technicians.id))?.reviewedAt).toBeNull();
    const done = await review('privacy-officer', technicians.id);
    expect(done.status).toBe(200);
    expect(((await done.json()) as BreakGlassGrant).reviewedBy).toBe('privacy-officer-user');
  });

  it('of your own grant is refused with 403, and someone else may review it', async () => {
    const own = await breakGlass('privacy-officer');
    const res = await review('privacy-officer', own.id);
    expect(res.status).toBe(403);
    const outcome = (await res.json()) as OperationOutcome;
    expect(outcome.issue?.[0]?.diagnostics).toContain('your own');
    expect((await grant(own.id))?.reviewedAt).toBeNull();
    const other = await review('him-director', own.id);
    expect(other.status).toBe(200);
    expect(((await other.json()) as BreakGlassGrant).reviewedBy).toBe('him-director-user');
  });

  it('of a grant that does not exist is 404', async () => {
    expect((await review('privacy-officer', 'no-such-grant')).status).toBe(404);
  });
});
