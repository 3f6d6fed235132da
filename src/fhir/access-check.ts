import type { RequestContext } from './request-context.ts';
import { isAllowed, type Action } from '../shared/index.ts';
import type { Queryable } from '../db/index.ts';
import { accessOf, seesEverything } from './access-filter.ts';
import { OutcomeError, forbidden } from './outcomes.ts';
import { isVisible } from './unchecked-storage.ts';

/** Throws 403 unless the caller's role may do `action` on `resourceType`. */
export function assertAllowed(ctx: RequestContext, resourceType: string, action: Action): void {
  if (!isAllowed(ctx.role, resourceType, action)) {
    throw forbidden(`Role '${ctx.role}' may not ${action} ${resourceType}`);
  }
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
 * Sensitive records: a record labelled (or whose patient is labelled) with a code the role may
 * not see is shown only after the user broke the glass for that patient. The verdict comes from
 * the one access filter (access-filter.ts), judged on the record's current version.
 */
export async function assertVisible(
  q: Queryable,
  ctx: RequestContext,
  type: string,
  id: string,
): Promise<void> {
  const access = accessOf(ctx);
  if (seesEverything(access)) return;
  const found = await isVisible(q, type, id, access);
  if (found && !found.visible) throw new BreakGlassRequired(found.owner);
}
