import type { Action } from '../shared/index.ts';
import type { RequestContext } from '../fhir/request-context.ts';

// The access declaration every HTTP route makes. The server's hooks read a route's
// `config.access` to authenticate, authorise (role x resource x action) and audit the call;
// a route without `config.access` and without `config.public` is refused at start-up.
// The vocabulary itself (actions, roles, purposes of use) and the permission table live in
// src/shared, which the web application imports too.

/**
 * What a route touches. `resource` is a FHIR resource type, or one of the pseudo-resources
 * for non-FHIR features: 'CodeSystem' (code sets), 'User' (user admin), 'AuditEvent',
 * 'MpiReview' (duplicate worklist), 'CodingWork' (encounter coding).
 * When the route's resource is decided by the URL (FHIR `/:type`), `resource` is '*'
 * and the handler checks the concrete type itself through `assertAllowed`.
 */
export interface RouteAccess {
  resource: string;
  action: Action;
}

// Who is calling: the store's per-request context (src/fhir/request-context.ts), which the
// store takes from us and never imports back.
export type { RequestContext } from '../fhir/request-context.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    public?: boolean;
    /** The handler goes through FhirStore, which writes its own AuditEvents. */
    auditedByStore?: boolean;
  }
  interface FastifyRequest {
    ctx?: RequestContext;
    /** Patients a non-store route touched, for its audit entry. */
    auditPatients?: string[];
  }
}
