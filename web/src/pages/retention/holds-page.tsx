import { useState, type FormEvent, type ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { fetchHolds, placeHold, releaseHold, type LegalHold } from './retention-api.ts';

/** Legal holds: the standing ones with matter and custodian, a form to place one, release. */
export function HoldsPage(): ReactNode {
  const [state, reload] = useLoad('holds', fetchHolds);
  const [scope, setScope] = useState('');
  const [matter, setMatter] = useState('');
  const [custodian, setCustodian] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setError(null);
    placeHold({ scope: scope.trim(), matter, ...(custodian ? { custodian } : {}) }).then(() => {
      setScope('');
      setMatter('');
      setCustodian('');
      reload();
    }, setError);
  };
  const columns: Array<Column<LegalHold>> = [
    { header: 'Matter', rowHeader: true, cell: (h) => h.matter },
    {
      header: 'Covers',
      cell: (h) => `${h.scope}${h.from || h.to ? ` (${h.from ?? '…'} to ${h.to ?? '…'})` : ''}`,
    },
    { header: 'Custodian', cell: (h) => h.custodian ?? '' },
    { header: 'Placed', cell: (h) => `${h.placedAt.slice(0, 10)} by ${h.placedBy}` },
    {
      header: <span className="visually-hidden">Action</span>,
      cell: (h) => (
        <button
          type="button"
          className="button small secondary"
          onClick={() => void releaseHold(h.id).then(reload, setError)}
        >
          Release<span className="visually-hidden"> the hold for {h.matter}</span>
        </button>
      ),
    },
  ];
  return (
    <Page title="Legal holds">
      <form onSubmit={submit} className="step-form">
        <div className="field">
          <label htmlFor="hold-scope">Records held (Patient/id or Encounter/id)</label>
          <input id="hold-scope" value={scope} onChange={(e) => setScope(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="hold-matter">Matter</label>
          <input id="hold-matter" value={matter} onChange={(e) => setMatter(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="hold-custodian">Custodian</label>
          <input id="hold-custodian" value={custodian} onChange={(e) => setCustodian(e.target.value)} />
        </div>
        <button type="submit" className="button primary" disabled={!scope.trim() || !matter.trim()}>
          Place hold
        </button>
      </form>
      {error !== null && <ErrorMessage error={error} />}
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' &&
        (state.data.holds.length === 0 ? (
          <Empty>No legal hold stands.</Empty>
        ) : (
          <DataTable
            className="worklist"
            caption="Standing legal holds"
            columns={columns}
            rows={state.data.holds}
            rowKey={(h) => h.id}
            rowData={(h) => ({ 'data-hold': h.id })}
          />
        ))}
    </Page>
  );
}
