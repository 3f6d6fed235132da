import type { ReactNode } from 'react';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { Link, useLocation } from '../../router.tsx';
import { gradeLabel, percent } from './agreement.ts';
import { fetchWorklist } from './duplicates-api.ts';
import './duplicates.css';

const DONE: Record<string, string> = {
  merged: 'The records were merged. The pair has left the worklist.',
  'not-duplicate': 'The pair was marked as not a duplicate and will not come back.',
};

/** Pairs of patient records that may be one person, oldest first. */
export function DuplicateWorklistPage(): ReactNode {
  const location = useLocation();
  const [state, reload] = useLoad('duplicates', fetchWorklist);
  const done = DONE[location.search.get('done') ?? ''];
  return (
    <Page title="Duplicates to review">
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      {state.status === 'loading' && <Loading label="Loading the worklist" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && state.data.pairs.length === 0 && (
        <Empty>No possible duplicates are waiting for review.</Empty>
      )}
      {state.status === 'done' && state.data.pairs.length > 0 && (
        <div className="table-wrap">
          <table className="results">
            <caption className="visually-hidden">{state.data.total} pairs waiting, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">Match</th>
                <th scope="col">Record A</th>
                <th scope="col">Record B</th>
                <th scope="col">Waiting since</th>
                <th scope="col">
                  <span className="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {state.data.pairs.map((p) => (
                <tr key={p.taskId}>
                  <td>
                    {percent(p.score)}
                    <span className={p.grade === 'probable' ? 'badge warn' : 'badge'}>
                      {gradeLabel(p.grade)}
                    </span>
                  </td>
                  <td>
                    {p.a.name || '(no name)'}
                    <div className="issuer">
                      born {p.a.birthDate || 'unknown'} · MRN {p.a.mrn || 'none'}
                    </div>
                  </td>
                  <td>
                    {p.b.name || '(no name)'}
                    <div className="issuer">
                      born {p.b.birthDate || 'unknown'} · MRN {p.b.mrn || 'none'}
                    </div>
                  </td>
                  <td>{new Date(p.createdAt).toLocaleDateString()}</td>
                  <td>
                    <Link
                      to={`/duplicates/${encodeURIComponent(p.taskId)}`}
                      className="button small secondary"
                    >
                      Review
                      <span className="visually-hidden">
                        {' '}
                        {p.a.name} and {p.b.name}
                      </span>
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
