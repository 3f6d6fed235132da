import type { AuditEvent } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.ts';
import { auditEventsAbout } from '../fhir/audit-trail.ts';

/** One line of "who has seen this patient's record". */
export interface AccessReportLine {
  when: string;
  who: string;
  role: string | null;
  action: string;
  outcome: 'success' | 'denied' | 'failure';
  purpose: string | null;
  what: string[];
  source: string | null;
  detail: string | null;
}

const OUTCOMES: Record<string, AccessReportLine['outcome']> = {
  '0': 'success',
  '4': 'denied',
  '8': 'failure',
};

export function reportLine(event: AuditEvent): AccessReportLine {
  const agent = event.agent?.[0];
  return {
    when: event.recorded,
    who: agent?.name ?? agent?.who?.display ?? 'unknown',
    role: agent?.role?.[0]?.coding?.[0]?.code ?? null,
    action: event.subtype?.[0]?.code ?? event.action ?? 'unknown',
    outcome: OUTCOMES[event.outcome ?? '0'] ?? 'failure',
    purpose: agent?.purposeOfUse?.[0]?.coding?.[0]?.code ?? null,
    what: (event.entity ?? []).map((e) => e.what?.reference ?? e.description ?? '').filter(Boolean),
    source: agent?.network?.address ?? null,
    detail: event.outcomeDesc ?? null,
  };
}

/** Every recorded access to one patient's record, newest first. */
export async function accessReport(
  q: Queryable,
  patientId: string,
  limit = 1000,
): Promise<AccessReportLine[]> {
  return (await auditEventsAbout(q, patientId, limit)).map(reportLine);
}
