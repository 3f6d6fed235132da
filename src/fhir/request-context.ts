import type { Purpose, Role } from '../shared/index.ts';
import type { ResourceScope } from '../shared/scopes.ts';

/** Who is calling, as seen by every handler and the audit trail. */
export interface RequestContext {
  userId: string;
  username: string;
  role: Role;
  purpose: Purpose;
  sourceAddress: string;
  tokenId: string;
  /** Patients whose sensitive records this user may see now (break-the-glass grants). */
  brokenGlassPatients: string[];
  /**
   * A SMART token's resource scopes: they narrow the role, never widen it. Absent for a
   * staff session, whose role alone decides.
   */
  scopes?: readonly ResourceScope[];
  /**
   * The one patient whose compartment this caller may reach (a patient user, or a token with
   * `patient/` scopes): every read is filtered to it in SQL, every write refused.
   */
  compartment?: string;
  /** The SMART app the token was issued to. */
  clientId?: string;
}
