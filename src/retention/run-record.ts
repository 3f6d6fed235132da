/** A destruction run as the API answers it (src/retention/destruction-runs.ts). */

export type RunStatus = 'proposed' | 'approved' | 'destroyed';

export interface RunItem {
  patientId: string;
  name: string;
  mrn?: string;
  birthDate?: string;
  firstDate?: string;
  lastEncounter?: string;
  retainUntil: string;
  rule: string;
}

export interface DestructionRun {
  id: string;
  asOf: string;
  status: RunStatus;
  proposedBy: string;
  proposedAt: string;
  approvedBy?: string;
  approvedAt?: string;
  destroyedBy?: string;
  destroyedAt?: string;
  method?: string;
  items: RunItem[];
  destroyed?: Array<{ patientId: string; records: number; versions: number; releasedCopies?: number }>;
  hasCertificate: boolean;
}
