import type { RequestContext } from './request-context.ts';
import { isAllowed, type Action } from '../shared/index.ts';
import { scopesAllow, scopesReadAll } from '../shared/scopes.ts';
import type { Queryable } from '../db/index.ts';
import { accessOf, seesEverything } from './access-filter.ts';
import { isR4ResourceType } from './definitions.ts';
import { OutcomeError, forbidden } from './outcomes.ts';
import { isVisible } from './unchecked-storage.ts';

/** Throws 403 unless the caller's role (and the token's scopes, if any) may do `action` on `resourceType`. */
export function assertAllowed(ctx: RequestContext, resourceType: string, action: Action): void {
  if (!isAllowed(ctx.role, resourceType, action)) {
    throw forbidden(`Role '${ctx.role}' may not ${action} ${resourceType}`);
  }
  const refusal = narrowingRefusal(ctx, resourceType, action);
  if (refusal) throw forbidden(refusal);
}

/** The role's verdict narrowed by the token: for filters that leave out what may not be read. */
export function mayDo(ctx: RequestContext, resourceType: string, action: Action): boolean {
  return isAllowed(ctx.role, resourceType, action) && !narrowingRefusal(ctx, resourceType, action);
}

/**
 * Why a SMART token or a patient's own access refuses what the role allows. Scopes name FHIR
 * resource types, so they reach no pseudo-resource (user administration, worklists) but the
 * caller's own session. A compartment-bound caller reads only.
 */
const BULK_DATA = 'BulkData';

function narrowingRefusal(ctx: RequestContext, resourceType: string, action: Action): string | undefined {
  if (resourceType === 'Session') return undefined;
  if (ctx.compartment !== undefined && action !== 'read' && action !== 'search')
    return `Access to one patient's records is read-only: ${action} ${resourceType} refused`;
  if (ctx.compartment !== undefined && !isR4ResourceType(resourceType))
    return `Access to one patient's records reaches FHIR records only: ${resourceType} refused`;
  if (!ctx.scopes) return undefined;
  // Bulk Data: the kick-off needs some read scope; each type exported is then judged on its own.
  if (resourceType === BULK_DATA)
    return ctx.scopes.some((s) => s.permissions.includes('r'))
      ? undefined
      : "The token's scopes read nothing";
  if (!isR4ResourceType(resourceType) || !scopesAllow(ctx.scopes, resourceType, action))
    return `The token's scopes do not allow ${action} ${resourceType}`;
  return undefined;
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

/**
 * A caller bound to one patient's compartment reaches the FHIR API (whose reads go through the
 * compartment filter) and their own session, nothing else: module screens read their own tables,
 * which know no compartment.
 */
export function assertRouteReachable(
  ctx: RequestContext,
  url: string,
  resource: string,
  request: { url: string; body?: unknown },
): void {
  if (ctx.scopes && !scopesReadAll(ctx.scopes) && reachesOtherTypes(request))
    throw forbidden("Includes, reverse includes and _has reach other types than the token's scopes name");
  if (ctx.compartment === undefined || resource === 'Session' || url.startsWith('/fhir/')) return;
  throw forbidden("Access to one patient's records reaches the FHIR API only");
}

/** Search parameters that answer with (or about) other resource types than the one searched. */
const REACHING_PARAMETER = /[?&](_include|_revinclude|_has)[:=]/;

/** In the query string, or in the form body of a POST `_search`. */
function reachesOtherTypes(request: { url: string; body?: unknown }): boolean {
  if (REACHING_PARAMETER.test(request.url)) return true;
  const body = request.body;
  if (!body || typeof body !== 'object') return false;
  return Object.keys(body).some((k) => /^(_include|_revinclude|_has)(:|$)/.test(k));
}
