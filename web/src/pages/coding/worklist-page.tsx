import type { ReactNode } from 'react';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { Page } from '../../components/page.tsx';
import { useLoad } from '../../components/use-load.ts';
import { formatDay } from '../../fhir-format.ts';
import { Link } from '../../router.tsx';
import { fetchWorklist, type WorklistItem } from './coding-api.ts';
import './coding.css';

const CLASS_NAMES: Record<WorklistItem['class'], string> = {
  inpatient: 'Inpatient',
  outpatient: 'Outpatient',
  emergency: 'Emergency',
};

/** Discharged encounters without final codes (DNFB), oldest discharge first. */
export function CodingWorklistPage(): ReactNode {
  const [state, reload] = useLoad('coding-worklist', () => fetchWorklist(200));
  return (
    <Page title="Coding worklist">
      {state.status === 'loading' && <Loading label="Loading the worklist" />}
      {state.status === 'error' && (
        <ErrorMessage error={state.error} title="The worklist could not be loaded" onRetry={reload} />
      )}
      {state.status === 'done' && state.data.items.length === 0 && (
        <Empty>Every discharged encounter has final codes.</Empty>
      )}
      {state.status === 'done' && state.data.items.length > 0 && (
        <section aria-labelledby="worklist-heading">
          <h2 id="worklist-heading">
            {state.data.total} {state.data.total === 1 ? 'encounter' : 'encounters'} discharged, not final
            billed
            {state.data.total > state.data.items.length ? ` (oldest ${state.data.items.length} shown)` : ''}
          </h2>
          <div className="table-wrap">
            <table className="results worklist">
              <caption className="visually-hidden">Encounters to code, oldest discharge first</caption>
              <thead>
                <tr>
                  <th scope="col">Patient</th>
                  <th scope="col">MRN</th>
                  <th scope="col">Class</th>
                  <th scope="col">Discharged</th>
                  <th scope="col" className="num">
                    DNFB days
                  </th>
                  <th scope="col">State</th>
                  <th scope="col">Coder</th>
                </tr>
              </thead>
              <tbody>
                {state.data.items.map((i) => (
                  <tr key={i.encounterId} data-encounter={i.encounterId}>
                    <th scope="row">
                      <Link to={`/coding/encounters/${encodeURIComponent(i.encounterId)}`}>
                        {i.patientName}
                      </Link>
                    </th>
                    <td className="mono">{i.mrn ?? ''}</td>
                    <td>{CLASS_NAMES[i.class]}</td>
                    <td>{formatDay(i.discharge)}</td>
                    <td className="num">{i.dnfbDays}</td>
                    <td>
                      {i.state === 'coded' ? (
                        <span className="badge ok">Coded</span>
                      ) : (
                        <span className="badge">Uncoded</span>
                      )}
                    </td>
                    <td>{i.coder ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </Page>
  );
}
