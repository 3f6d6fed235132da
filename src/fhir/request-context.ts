import type { Purpose, Role } from '../shared/index.ts';

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
}
