import type { ReactNode } from 'react';
import './reports.css';
import { get } from '../../api.ts';
import { Page } from '../../components/page.tsx';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { AnomalyList } from './anomalies.tsx';

interface VerifyResult {
  ok: boolean;
  checked: number;
  problem?: { seq: number; eventId: string; reason: string };
}

/** The audit chain's verification (every event against its predecessor's hash) and the anomaly flags. */
export function AuditStatusPage(): ReactNode {
  const [state, retry] = useLoad('audit-verify', () => get<VerifyResult>('/audit/verify'));
  return (
    <Page title="Audit trail">
      <section aria-labelledby="chain-heading">
        <h2 id="chain-heading">Hash chain</h2>
        {state.status === 'loading' && <Loading label="Verifying the chain" />}
        {state.status === 'error' && <ErrorMessage error={state.error} onRetry={retry} />}
        {state.status === 'done' && (
          <p className={state.data.ok ? 'chain-ok' : 'chain-broken'} role="status">
            {state.data.ok
              ? `Intact: ${state.data.checked} events verified, none edited, deleted or reordered.`
              : `Broken at event ${state.data.problem?.seq ?? '?'} (${state.data.problem?.eventId ?? ''}): ${state.data.problem?.reason ?? ''}`}
          </p>
        )}
      </section>
      <AnomalyList />
    </Page>
  );
}
