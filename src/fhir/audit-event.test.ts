import { describe, expect, it } from 'vitest';
import { PURPOSES, ROLES } from '../shared/index.ts';
import {
  AUDIT_ACTIONS,
  AUDIT_EVENT_MAX_RECORDS,
  inBoundedParts,
  toAuditEvent,
  type AuditEntry,
} from './audit-event.ts';
import { canonicalJson } from './audit-trail.ts';

/** Entries of every shape toAuditEvent builds: each action, with and without every optional part. */
function everyShape(): AuditEntry[] {
  const entries: AuditEntry[] = [];
  AUDIT_ACTIONS.forEach((action, i) => {
    const outcome = (['success', 'denied', 'failure'] as const)[i % 3] ?? 'success';
    entries.push({ action, outcome, username: 'clerk' });
    entries.push({
      action,
      outcome,
      username: 'Zoë "the coder" \\ Ng',
      userId: `user-${i}`,
      role: ROLES[i % ROLES.length],
      purpose: PURPOSES[i % PURPOSES.length],
      sourceAddress: '10.0.0.7',
      patientIds: ['p1', 'p2'],
      entities: ['Patient/p1', 'Observation/o1', 'Encounter/e1'],
      query: 'GET /fhir/R4/Observation?patient=p1&code=1234-5',
      detail: 'part of a release of information',
    });
    entries.push({ action, outcome, username: 'system', entities: ['Binary/b1'], query: 'POST /fhir/R4' });
  });
  return entries;
}

describe('toAuditEvent', () => {
  it("writes each event's keys in sorted order: its JSON text is the chain's canonical text", () => {
    const entries = everyShape();
    expect(entries.length).toBe(AUDIT_ACTIONS.length * 3);
    for (const entry of entries) {
      const event = toAuditEvent('evt-1', entry, '2026-12-03T10:00:00.000Z');
      expect(JSON.stringify(event)).toBe(canonicalJson(event));
    }
  });

  it('records the agent, the patients and the query of the entry', () => {
    const [, full] = everyShape();
    const event = toAuditEvent('evt-2', full!, '2026-12-03T10:00:00.000Z');
    expect(event.agent?.[0]?.who?.identifier?.value).toBe('Zoë "the coder" \\ Ng');
    expect(event.entity?.map((e) => e.what?.reference)).toEqual([
      'Patient/p1',
      'Patient/p2',
      'Observation/o1',
      'Encounter/e1',
      undefined,
    ]);
    expect(Buffer.from(event.entity?.[4]?.query ?? '', 'base64').toString()).toBe(full!.query);
  });

  it('splits an entry naming more records than one event holds', () => {
    const patientIds = Array.from({ length: AUDIT_EVENT_MAX_RECORDS + 1 }, (_, i) => `p${i}`);
    const parts = inBoundedParts({ action: 'export', outcome: 'success', username: 'x', patientIds });
    expect(parts.map((p) => p.patientIds?.length)).toEqual([AUDIT_EVENT_MAX_RECORDS, 1]);
    expect(parts.map((p) => p.detail)).toEqual(['part 1 of 2', 'part 2 of 2']);
  });
});
