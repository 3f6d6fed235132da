import type { Consent, OperationOutcome, Patient, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushAudit } from '../fhir/audit-trail.ts';
import type { Role } from '../shared/index.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { AUTHORIZATION_ELEMENTS, STATEMENT_PREFIX, type AuthorizationElement } from './authorization.ts';
import { authorizationForm } from './authorization-fixture.ts';
import { addDays, today } from './legal-clock.ts';
import type { ReleaseRequest } from './requests.ts';
import {
  OUTPUT_SYSTEM as ROI_OUTPUT,
  REQUESTER_TYPES,
  STATUS_SYSTEM as ROI_STATUS,
  type RequesterType,
} from './terms.ts';

let server: TestServer;
let patientId = '';
const ROI: Role = 'roi-specialist';

beforeAll(async () => {
  server = await startTestServer();
  const res = await server.call('admin', 'POST', '/fhir/R4/Patient', {
    resourceType: 'Patient',
    name: [{ family: 'Quenby', given: ['Rosalind'] }],
    birthDate: '1970-04-02',
  });
  patientId = ((await res.json()) as Patient).id ?? '';
});
afterAll(async () => server?.stop());

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

const newRequest = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  patient: `Patient/${patientId}`,
  requesterType: 'patient',
  recipient: 'Rosalind Quenby',
  purpose: 'personal',
  received: '2024-01-31',
  ...overrides,
});

const create = async (overrides: Record<string, unknown> = {}): Promise<ReleaseRequest> =>
  json<ReleaseRequest>(await server.call(ROI, 'POST', '/disclosure/requests', newRequest(overrides)), 201);

/**
 * Writes a release onto a request's Task as the release step records it (status released, the
 * released-at output), so the queue's release filters have something to find.
 */
async function markReleased(id: string, at: string): Promise<void> {
  const task = await json<Task>(await server.call('admin', 'GET', `/fhir/R4/Task/${id}`));
  task.businessStatus = { coding: [{ system: ROI_STATUS, code: 'released' }] };
  task.status = 'completed';
  task.output = [{ type: { coding: [{ system: ROI_OUTPUT, code: 'released-at' }] }, valueDateTime: at }];
  await json<Task>(await server.call('admin', 'PUT', `/fhir/R4/Task/${id}`, task));
}

/** An authorization with one element taken away. */
function without(element: AuthorizationElement): Consent {
  const form = authorizationForm(patientId);
  const p = form.provision ?? {};
  switch (element) {
    case 'description':
      delete p.code;
      break;
    case 'discloser':
      delete form.organization;
      break;
    case 'recipient':
      delete p.actor;
      break;
    case 'purpose':
      delete p.purpose;
      break;
    case 'expiration':
      p.period = { start: '2024-01-10' };
      break;
    case 'signature':
      delete form.performer;
      break;
    case 'date':
      delete form.dateTime;
      break;
    case 'revocation-statement':
    case 'redisclosure-statement':
    case 'conditioning-statement': {
      const name = element.replace('-statement', '');
      form.policy = (form.policy ?? []).filter((x) => x.uri !== `${STATEMENT_PREFIX}${name}`);
      break;
    }
  }
  return form;
}

describe('requests', () => {
  const needsAuthorization: Record<RequesterType, boolean> = {
    patient: false,
    'personal-representative': false,
    provider: false,
    payer: false,
    attorney: true,
    'law-enforcement': false,
    'court-order': false,
    subpoena: true,
    'public-health': false,
  };
  const purposeOf: Record<RequesterType, string> = {
    patient: 'personal',
    'personal-representative': 'personal',
    provider: 'treatment',
    payer: 'payment',
    attorney: 'legal',
    'law-enforcement': 'law-enforcement',
    'court-order': 'judicial',
    subpoena: 'judicial',
    'public-health': 'public-health',
  };

  it.each(REQUESTER_TYPES)('logs a request from a %s as a Task with its clock', async (requesterType) => {
    const made = await create({ requesterType, purpose: purposeOf[requesterType] });
    expect(made.dueDate).toBe('2024-03-01');
    expect(made.authorizationRequired).toBe(needsAuthorization[requesterType]);
    expect(made.status).toBe(needsAuthorization[requesterType] ? 'pending-authorization' : 'logged');
    expect(made.missingAuthorizationElements).toEqual(
      needsAuthorization[requesterType] ? [...AUTHORIZATION_ELEMENTS] : [],
    );
    const task = await json<{ resourceType: string; code: unknown; for: unknown; restriction: unknown }>(
      await server.call('admin', 'GET', `/fhir/R4/Task/${made.id}`),
    );
    expect(task.code).toMatchObject({
      coding: [{ system: 'urn:custodian:task', code: 'release-of-information' }],
    });
    expect(task.for).toEqual({ reference: `Patient/${patientId}` });
    expect(task.restriction).toEqual({ period: { end: '2024-03-01' } });
  });

  it('needs an authorization when a provider or payer asks for something other than TPO', async () => {
    expect((await create({ requesterType: 'provider', purpose: 'research' })).status).toBe(
      'pending-authorization',
    );
    expect((await create({ requesterType: 'payer', purpose: 'underwriting' })).status).toBe(
      'pending-authorization',
    );
    expect((await create({ requesterType: 'provider', purpose: 'operations' })).status).toBe('logged');
  });

  it('computes due dates over month ends and leap years, and extends once with a notice', async () => {
    expect((await create({ received: '2023-01-31' })).dueDate).toBe('2023-03-02');
    expect((await create({ received: '2024-02-29' })).dueDate).toBe('2024-03-30');
    expect((await create({ received: '2023-12-15' })).dueDate).toBe('2024-01-14');
    const made = await create({ received: '2024-01-31' });
    const late = await server.call(ROI, 'POST', `/disclosure/requests/${made.id}/extend`, {
      notice: 'Records are in off-site storage',
      noticeSent: '2024-03-02',
    });
    expect(late.status).toBe(409);
    expect(((await late.json()) as OperationOutcome).issue?.[0]?.diagnostics).toContain('2024-03-01');
    const extended = await json<ReleaseRequest>(
      await server.call(ROI, 'POST', `/disclosure/requests/${made.id}/extend`, {
        notice: 'Records are in off-site storage; we will answer by 2024-03-31',
        noticeSent: '2024-02-20',
      }),
    );
    expect(extended.dueDate).toBe('2024-03-31');
    expect(extended.firstDueDate).toBe('2024-03-01');
    expect(extended.extension).toEqual({
      notice: 'Records are in off-site storage; we will answer by 2024-03-31',
      noticeSent: '2024-02-20',
    });
    const again = await server.call(ROI, 'POST', `/disclosure/requests/${made.id}/extend`, {
      notice: 'More time',
      noticeSent: '2024-02-21',
    });
    expect(again.status).toBe(409);
    const noNotice = await server.call(ROI, 'POST', `/disclosure/requests/${made.id}/extend`, {});
    expect(noNotice.status).toBe(400);
  });

  it('warns before the due date, flags overdue requests, and orders the queue by due date', async () => {
    const near = await create({ received: addDays(today(), -27), recipient: 'Near Due' });
    const overdue = await create({ received: addDays(today(), -40), recipient: 'Overdue' });
    const fresh = await create({ received: today(), recipient: 'Fresh' });
    expect(near.clock).toEqual({ dueDate: addDays(today(), 3), daysLeft: 3, state: 'near-due' });
    expect(overdue.clock).toMatchObject({ daysLeft: -10, state: 'overdue' });
    expect(fresh.clock).toMatchObject({ daysLeft: 30, state: 'on-time' });
    const queue = await json<{ total: number; requests: ReleaseRequest[] }>(
      await server.call(ROI, 'GET', `/disclosure/requests?patient=${patientId}`),
    );
    const order = queue.requests.map((r) => r.id);
    expect(order.indexOf(overdue.id)).toBeLessThan(order.indexOf(near.id));
    expect(order.indexOf(near.id)).toBeLessThan(order.indexOf(fresh.id));
    const dues = queue.requests.map((r) => r.dueDate);
    expect(dues).toEqual([...dues].sort());
    const count = await json<{ total: number }>(
      await server.call(ROI, 'GET', '/disclosure/requests?_summary=count'),
    );
    expect(count.total).toBeGreaterThanOrEqual(queue.total);
  });

  it('narrows the queue to a month received or released and to late releases (the dashboards link here)', async () => {
    const patient = await json<Patient>(
      await server.call('admin', 'POST', '/fhir/R4/Patient', {
        resourceType: 'Patient',
        name: [{ family: 'Latimer', given: ['Lena'] }],
      }),
      201,
    );
    // Received in April; released in May after its 5 May due date (late), within it, and in June.
    const late = await create({ patient: `Patient/${patient.id}`, received: '2025-04-05' });
    const onTime = await create({ patient: `Patient/${patient.id}`, received: '2025-04-20' });
    const june = await create({ patient: `Patient/${patient.id}`, received: '2025-05-10' });
    const logged = await create({ patient: `Patient/${patient.id}`, received: '2025-05-12' });
    await markReleased(late.id, '2025-05-10T15:00:00Z');
    await markReleased(onTime.id, '2025-05-06T15:00:00Z');
    await markReleased(june.id, '2025-06-02T15:00:00Z');
    const ids = async (query: string): Promise<string[]> =>
      (
        await json<{ requests: ReleaseRequest[] }>(
          await server.call(ROI, 'GET', `/disclosure/requests?patient=${patient.id}&${query}`),
        )
      ).requests
        .map((r) => r.id)
        .sort();
    expect(await ids('status=all&released=2025-05')).toEqual([late.id, onTime.id].sort());
    expect(await ids('status=all&released=2025-05&late=true')).toEqual([late.id]);
    expect(await ids('status=all&late=true')).toEqual([late.id]);
    expect(await ids('status=all&received=2025-05')).toEqual([june.id, logged.id].sort());
    // Open requests received in May: the one not yet released.
    expect(await ids('received=2025-05')).toEqual([logged.id]);
    for (const bad of ['released=2025-13', 'received=May', 'late=yes']) {
      const res = await server.call(ROI, 'GET', `/disclosure/requests?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as OperationOutcome).resourceType).toBe('OperationOutcome');
    }
  });

  it('moves through review, denial with a reason, and closing', async () => {
    const made = await create();
    const reviewed = await json<ReleaseRequest>(
      await server.call(ROI, 'POST', `/disclosure/requests/${made.id}/review`, {
        from: '2020-01-01',
        types: ['Encounter', 'Condition'],
        delivery: ['pdf', 'bundle'],
      }),
    );
    expect(reviewed.status).toBe('in-review');
    expect(reviewed.scope).toEqual({ from: '2020-01-01', types: ['Encounter', 'Condition'] });
    expect(reviewed.delivery).toEqual(['pdf', 'bundle']);
    expect((await server.call(ROI, 'POST', `/disclosure/requests/${made.id}/deny`, {})).status).toBe(400);
    const denied = await json<ReleaseRequest>(
      await server.call(ROI, 'POST', `/disclosure/requests/${made.id}/deny`, {
        reason: 'The requester could not be verified',
      }),
    );
    expect(denied).toMatchObject({ status: 'denied', denialReason: 'The requester could not be verified' });
    expect(denied.clock.state).toBe('stopped');
    expect((await server.call(ROI, 'POST', `/disclosure/requests/${made.id}/review`, {})).status).toBe(409);
    const closed = await json<ReleaseRequest>(
      await server.call(ROI, 'POST', `/disclosure/requests/${made.id}/close`, {}),
    );
    expect(closed.status).toBe('closed');
    const withdrawn = await create();
    expect((await server.call(ROI, 'POST', `/disclosure/requests/${withdrawn.id}/close`, {})).status).toBe(
      400,
    );
    const all = await json<{ requests: ReleaseRequest[] }>(
      await server.call(ROI, 'GET', `/disclosure/requests?status=closed&patient=${patientId}`),
    );
    expect(all.requests.map((r) => r.id)).toContain(made.id);
  });

  it('refuses bad input with a clear 400 and writes nothing', async () => {
    const before = await json<{ total: number }>(
      await server.call(ROI, 'GET', '/disclosure/requests?status=all&_summary=count'),
    );
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ requesterType: 'neighbour' }, 'requesterType'],
      [{ received: '2023-02-29' }, 'received'],
      [{ received: addDays(today(), 2) }, 'received'],
      [{ recipient: '' }, 'recipient'],
      [{ patient: 'Observation/1' }, 'patient'],
      [{ types: ['AuditEvent'] }, 'types'],
      [{ delivery: ['fax'] }, 'delivery'],
      [{ authorization: { resourceType: 'Patient' } }, 'authorization'],
    ];
    for (const [overrides, field] of bad) {
      const res = await server.call(ROI, 'POST', '/disclosure/requests', newRequest(overrides));
      expect(res.status, field).toBe(400);
      expect(((await res.json()) as OperationOutcome).issue?.[0]?.diagnostics, field).toContain(field);
    }
    const missing = await server.call(
      ROI,
      'POST',
      '/disclosure/requests',
      newRequest({ patient: 'Patient/nobody-here' }),
    );
    expect(missing.status).toBe(404);
    const after = await json<{ total: number }>(
      await server.call(ROI, 'GET', '/disclosure/requests?status=all&_summary=count'),
    );
    expect(after.total).toBe(before.total);
    expect((await server.call(ROI, 'GET', '/disclosure/requests/no-such-task')).status).toBe(404);
  });
});

describe('odd input', () => {
  it('never answers 5xx, whatever the body', async () => {
    const made = await create();
    const bodies: unknown[] = [
      [],
      42,
      'text',
      null,
      { patient: 5 },
      { patient: ['Patient/x'], requesterType: 'patient' },
      { ...newRequest(), received: 20240101 },
      { ...newRequest(), types: [1] },
      { ...newRequest(), delivery: 'pdf' },
      { ...newRequest(), authorization: { resourceType: 'Consent', status: 12 } },
      { ...newRequest(), authorization: { resourceType: 'Consent', provision: { actor: 'x' } } },
      { resourceType: 'Consent', status: 'active', patient: { reference: 7 } },
      { notice: ['x'], reason: { a: 1 }, noticeSent: '2024-13-01' },
    ];
    const paths = ['', '/authorization', '/review', '/extend', '/deny', '/close'].map((a) =>
      a ? `/disclosure/requests/${made.id}${a}` : '/disclosure/requests',
    );
    for (const path of [...paths, '/disclosure/disclosures'])
      for (const body of bodies) {
        const res = await server.call(ROI, 'POST', path, JSON.stringify(body), {
          'content-type': 'application/json',
        });
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBeLessThan(500);
      }
  });
});

describe('authorization check', () => {
  it('accepts a complete authorization', async () => {
    const made = await create({
      requesterType: 'attorney',
      purpose: 'legal',
      authorization: authorizationForm(patientId),
    });
    expect(made.status).toBe('logged');
    expect(made.missingAuthorizationElements).toEqual([]);
    expect(made.authorization).toMatchObject({ valid: true, problems: [], expires: '2099-12-31' });
  });

  it.each(AUTHORIZATION_ELEMENTS)('names a missing %s', async (element) => {
    const made = await create({
      requesterType: 'attorney',
      purpose: 'legal',
      authorization: without(element),
    });
    expect(made.missingAuthorizationElements).toEqual([element]);
    expect(made.status).toBe('pending-authorization');
  });

  it('takes an expiry event instead of a date', async () => {
    const form = without('expiration');
    form.extension = [{ url: 'urn:custodian:fhir:consent-expiry-event', valueString: 'End of the lawsuit' }];
    const made = await create({ requesterType: 'attorney', purpose: 'legal', authorization: form });
    expect(made.missingAuthorizationElements).toEqual([]);
  });

  it('honours expiry', async () => {
    const made = await create({
      requesterType: 'attorney',
      purpose: 'legal',
      authorization: authorizationForm(patientId, { expires: addDays(today(), -1) }),
    });
    expect(made.status).toBe('pending-authorization');
    expect(made.authorization?.problems.map((p) => p.code)).toEqual(['expired']);
  });

  it('honours revocation, and a new authorization moves a pending request to review', async () => {
    const made = await create({
      requesterType: 'subpoena',
      purpose: 'judicial',
      received: addDays(today(), -3),
    });
    expect(made.status).toBe('pending-authorization');
    const attached = await json<ReleaseRequest>(
      await server.call(
        ROI,
        'POST',
        `/disclosure/requests/${made.id}/authorization`,
        authorizationForm(patientId),
      ),
    );
    expect(attached.status).toBe('in-review');
    const consentId = attached.authorization?.id ?? '';
    const consent = await json<Consent>(await server.call(ROI, 'GET', `/fhir/R4/Consent/${consentId}`));
    await json(
      await server.call(ROI, 'PUT', `/fhir/R4/Consent/${consentId}`, { ...consent, status: 'inactive' }),
    );
    const after = await json<ReleaseRequest>(
      await server.call(ROI, 'GET', `/disclosure/requests/${made.id}`),
    );
    expect(after.authorization?.valid).toBe(false);
    expect(after.authorization?.problems.map((p) => p.code)).toEqual(['revoked']);
  });

  it('refuses an authorization for another patient', async () => {
    const other = authorizationForm('someone-else');
    const made = await create({ requesterType: 'attorney', purpose: 'legal', authorization: other });
    expect(made.authorization?.problems.map((p) => p.code)).toContain('other-patient');
    expect(made.status).toBe('pending-authorization');
  });
});

describe('access', () => {
  it('refuses anonymous calls and roles without ROI rights, and audits each call', async () => {
    const made = await create();
    const routes: Array<[string, string, unknown]> = [
      ['POST', '/disclosure/requests', newRequest()],
      ['GET', '/disclosure/requests', undefined],
      ['GET', `/disclosure/requests/${made.id}`, undefined],
      ['POST', `/disclosure/requests/${made.id}/authorization`, authorizationForm(patientId)],
      ['POST', `/disclosure/requests/${made.id}/review`, {}],
      ['POST', `/disclosure/requests/${made.id}/extend`, { notice: 'x' }],
      ['POST', `/disclosure/requests/${made.id}/deny`, { reason: 'x' }],
      ['POST', `/disclosure/requests/${made.id}/close`, { reason: 'x' }],
    ];
    const audits = async (): Promise<number> => {
      await flushAudit(server.db);
      const res = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_links');
      return Number(res.rows[0]?.n);
    };
    for (const [method, path, body] of routes) {
      expect((await server.call(null, method, path, body)).status, `${method} ${path}`).toBe(401);
      for (const role of ['coder', 'him-technician'] as Role[]) {
        const before = await audits();
        expect((await server.call(role, method, path, body)).status, `${role} ${method} ${path}`).toBe(403);
        expect(await audits(), `${role} ${method} ${path} audited`).toBeGreaterThan(before);
      }
    }
    expect((await server.call('privacy-officer', 'GET', `/disclosure/requests/${made.id}`)).status).toBe(200);
    expect((await server.call('privacy-officer', 'POST', '/disclosure/requests', newRequest())).status).toBe(
      403,
    );
    const before = await audits();
    await json(await server.call(ROI, 'GET', `/disclosure/requests/${made.id}`));
    await flushAudit(server.db);
    const named = await server.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_links WHERE seq > $1 AND patient_ids @> ARRAY[$2]::text[]`,
      [before, patientId],
    );
    expect(Number(named.rows[0]?.n)).toBeGreaterThan(0);
  });
});
