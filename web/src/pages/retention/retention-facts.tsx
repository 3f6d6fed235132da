import type { ReactNode } from 'react';
import { isAllowed } from '../../../../src/shared/index.ts';
import type { PatientRetention } from '../../../../src/retention/index.ts';
import { get, getSession } from '../../api.ts';
import { useLoad } from '../../components/use-load.ts';

/**
 * The chart's retention end date and legal holds, as facts in the chart's demographics list;
 * nothing for a role that may not read the retention schedule.
 */
export function RetentionFacts({ patientId }: { patientId: string }): ReactNode {
  const role = getSession()?.role;
  const allowed = !!role && isAllowed(role, 'Retention', 'read');
  const [state] = useLoad(`retention:${patientId}:${allowed}`, () =>
    allowed
      ? get<PatientRetention & { holds: Array<{ matter: string }> }>(
          `/retention/patients/${encodeURIComponent(patientId)}`,
        )
      : Promise.resolve(null),
  );
  if (state.status !== 'done' || !state.data) return null;
  const r = state.data;
  return (
    <>
      <dt>Retain until</dt>
      <dd data-testid="retain-until" title={r.rule}>
        {r.retainUntil ?? 'Kept until reviewed'}
      </dd>
      {r.holds.length > 0 && (
        <>
          <dt>Legal hold</dt>
          <dd>{r.holds.map((h) => h.matter).join('; ')}</dd>
        </>
      )}
    </>
  );
}
