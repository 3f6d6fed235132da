import { useState, type ReactNode } from 'react';
import './reports.css';
import type { AccessReportLine } from '../../../../src/audit/access-report.ts';
import type { BreakGlassGrant } from '../../../../src/auth/break-glass.ts';
import { isAllowed } from '../../../../src/shared/index.ts';
import { get, post, type Session } from '../../api.ts';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { formatDate } from '../../fhir-format.ts';
import { Link, navigate, useLocation } from '../../router.tsx';

/**
 * Break-the-glass review: each grant with its reason and what the user saw during it; a reviewer
 * (privacy officer, HIM director) marks it reviewed with a note. Nobody reviews their own grant.
 */
export function BreakGlassReviewPage({ session }: { session: Session }): ReactNode {
  const search = useLocation().search;
  const period = { from: search.get('from') ?? '', to: search.get('to') ?? '' };
  const unreviewed = search.get('unreviewed') === 'true';
  const [state, reload] = useLoad(`break-glass-review:${unreviewed}`, () =>
    get<{ grants: BreakGlassGrant[] }>(`/audit/break-glass${unreviewed ? '?unreviewed=true' : ''}`),
  );
  const mayReview = isAllowed(session.role, 'BreakGlassReview', 'update');
  // The list holds at most a few hundred grants: the period narrows it here, by the day granted.
  const grants =
    state.status === 'done'
      ? state.data.grants.filter((g) => {
          const day = g.grantedAt.slice(0, 10);
          return (!period.from || day >= period.from) && (!period.to || day <= period.to);
        })
      : [];
  // Filters go to the URL, so a dashboard's bar, a reload or a shared link shows the same grants.
  const change = (next: { from?: string; to?: string; unreviewed?: boolean }): void => {
    const merged = { ...period, unreviewed, ...next };
    const query = new URLSearchParams();
    if (merged.from) query.set('from', merged.from);
    if (merged.to) query.set('to', merged.to);
    if (merged.unreviewed) query.set('unreviewed', 'true');
    navigate(`/reports/break-glass?${query.toString()}`, { replace: true });
  };
  return (
    <Page title="Break-the-glass review">
      <form className="report-range" aria-label="Filter the grants" onSubmit={(e) => e.preventDefault()}>
        <label>
          Granted from{' '}
          <input type="date" value={period.from} onChange={(e) => change({ from: e.target.value })} />
        </label>
        <label>
          To <input type="date" value={period.to} onChange={(e) => change({ to: e.target.value })} />
        </label>
        <label>
          <input
            type="checkbox"
            checked={unreviewed}
            onChange={(e) => change({ unreviewed: e.target.checked })}
          />{' '}
          Awaiting review only
        </label>
      </form>
      {state.status === 'loading' && <Loading label="Loading the grants" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && grants.length === 0 && <Empty>No break-the-glass grants.</Empty>}
      {state.status === 'done' && grants.length > 0 && (
        <ul className="grant-list">
          {grants.map((g) => (
            <Grant
              key={g.id}
              grant={g}
              mayReview={mayReview && g.username !== session.username}
              onReviewed={reload}
            />
          ))}
        </ul>
      )}
    </Page>
  );
}

function Grant({
  grant,
  mayReview,
  onReviewed,
}: {
  grant: BreakGlassGrant;
  mayReview: boolean;
  onReviewed: () => void;
}): ReactNode {
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [seen, setSeen] = useState<AccessReportLine[] | null>(null);
  const review = async (): Promise<void> => {
    setError(null);
    try {
      await post(`/audit/break-glass/${encodeURIComponent(grant.id)}/review`, { note });
      onReviewed();
    } catch (err) {
      setError(err);
    }
  };
  const showSeen = async (): Promise<void> => {
    try {
      const report = await get<{ lines: AccessReportLine[] }>(
        `/audit/access-report?patient=${encodeURIComponent(grant.patientId)}`,
      );
      // What this user did on this chart while the grant lasted.
      setSeen(
        report.lines.filter(
          (l) => l.who === grant.username && l.when >= grant.grantedAt && l.when <= grant.expiresAt,
        ),
      );
    } catch (err) {
      setError(err);
    }
  };
  const noteId = `note-${grant.id}`;
  return (
    <li className="grant" data-grant={grant.id}>
      <h2 className="grant-head">
        {grant.username ?? grant.userId} · {formatDate(grant.grantedAt)}{' '}
        {grant.reviewedAt ? (
          <span className="badge ok">Reviewed</span>
        ) : (
          <span className="badge warn">Awaiting review</span>
        )}
      </h2>
      <p>
        Reason: <q>{grant.reason}</q> · patient <Link to={`/patients/${grant.patientId}`}>chart</Link> · until{' '}
        {formatDate(grant.expiresAt)}
      </p>
      {grant.reviewedAt && (
        <p>
          Reviewed by {grant.reviewedBy} on {formatDate(grant.reviewedAt)}: {grant.reviewNote || '(no note)'}
        </p>
      )}
      <button type="button" className="button small secondary" onClick={() => void showSeen()}>
        What was seen
      </button>
      {seen && seen.length === 0 && <p className="empty">Nothing recorded during the grant.</p>}
      {seen && seen.length > 0 && (
        <ul className="plain-list">
          {seen.map((l, i) => (
            <li key={i}>
              {formatDate(l.when)} {l.action} {l.what.join(', ')} ({l.outcome})
            </li>
          ))}
        </ul>
      )}
      {!grant.reviewedAt && mayReview && (
        <div className="review-form">
          <label htmlFor={noteId}>Review note</label>
          <textarea id={noteId} value={note} onChange={(e) => setNote(e.target.value)} rows={2} />
          <button type="button" className="button" onClick={() => void review()} disabled={!note.trim()}>
            Mark reviewed
          </button>
        </div>
      )}
      {error !== null && <ErrorMessage error={error} />}
    </li>
  );
}
