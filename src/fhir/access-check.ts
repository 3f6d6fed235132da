import type { Resource } from '@medplum/fhirtypes';
import type { Action, RequestContext } from '../auth/access.ts';
import { deniedLabelsFor, isAllowed } from '../auth/policy.ts';
import type { Queryable } from '../db/index.ts';
import { OutcomeError, forbidden } from './outcomes.ts';
import { securityCodes } from './unchecked-storage.ts';

/** Throws 403 unless the caller's role may do `action` on `resourceType`. */
export function assertAllowed(ctx: RequestContext, resourceType: string, action: Action): void {
  if (!isAllowed(ctx.role, resourceType, action)) {
    throw forbidden(`Role '${ctx.role}' may not ${action} ${resourceType}`);
  }
}

/** The label filter for searches, evaluated inside the SQL (see search/). */
export function searchAccess(ctx: RequestContext): { deniedLabels: string[]; allowedPatients: string[] } {
  return { deniedLabels: deniedLabelsFor(ctx.role), allowedPatients: ctx.brokenGlassPatients };
}

export class BreakGlassRequired extends OutcomeError {
  constructor(readonly patientId: string | null) {
    super(403, {
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'suppressed',
          details: {
            coding: [{ system: 'urn:custodian:access', code: 'break-glass-required' }],
            text: 'break-glass-required',
          },
          diagnostics: `This record is restricted. Break the glass with a reason to see it${patientId ? ` (patient ${patientId})` : ''}.`,
        },
      ],
    });
  }
}

/**
 * Sensitive records: a resource labelled (or whose patient is labelled) with a sensitive code
 * is shown only to roles allowed to see it or after the user broke the glass for that patient.
 * This form takes the labels of the record and its patient already at hand; assertMaySee looks
 * up the patient's.
 */
export function assertLabelsVisible(
  ctx: RequestContext,
  labels: readonly string[],
  patientId: string | null,
): void {
  const denied = new Set(deniedLabelsFor(ctx.role));
  if (denied.size === 0 || (patientId && ctx.brokenGlassPatients.includes(patientId))) return;
  if (labels.some((l) => denied.has(l))) throw new BreakGlassRequired(patientId);
}

export async function assertMaySee(
  q: Queryable,
  ctx: RequestContext,
  resource: Resource,
  patientId: string | null,
): Promise<void> {
  const denied = new Set(deniedLabelsFor(ctx.role));
  if (denied.size === 0) return;
  if (patientId && ctx.brokenGlassPatients.includes(patientId)) return;
  let labels = securityCodes(resource);
  if (patientId && resource.resourceType !== 'Patient') {
    const p = await q.query<{ security: string[] }>(
      `SELECT security FROM fhir_resource WHERE resource_type = 'Patient' AND id = $1`,
      [patientId],
    );
    labels = labels.concat(p.rows[0]?.security ?? []);
  }
  if (labels.some((l) => denied.has(l))) throw new BreakGlassRequired(patientId);
}
