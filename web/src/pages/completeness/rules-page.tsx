import { useState, type FormEvent, type ReactNode } from 'react';
import type { CompletenessRule, RuleSet } from '../../../../src/completeness/index.ts';
import { request } from '../../api.ts';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import './completeness.css';

const fetchRules = (): Promise<RuleSet> => request('GET', '/completeness/rules');
const saveRules = (set: Omit<RuleSet, 'version'>): Promise<RuleSet> =>
  request('PUT', '/completeness/rules', set);

const ANCHORS: Record<string, string> = {
  admission: 'after admission',
  discharge: 'after discharge',
  'surgical-procedure': 'after each surgical procedure',
};

/** The editor: deadlines of each rule and the delinquency settings; every save is a new version. */
function RulesEditor({ set, onSaved }: { set: RuleSet; onSaved: (saved: RuleSet) => void }): ReactNode {
  const [rules, setRules] = useState<CompletenessRule[]>(set.rules);
  const [days, setDays] = useState(String(set.settings.delinquentAfterDays));
  const [buckets, setBuckets] = useState(set.settings.agingBuckets.join(', '));
  const [error, setError] = useState<string>();
  const setHours = (id: string, value: string): void =>
    setRules((rs) => rs.map((r) => (r.id === id ? { ...r, dueHours: Number(value) } : r)));
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    saveRules({
      rules,
      settings: {
        ...set.settings,
        delinquentAfterDays: Number(days),
        agingBuckets: buckets
          .split(/[,\s]+/)
          .filter(Boolean)
          .map(Number),
      },
    }).then(onSaved, (err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  };
  const columns: Array<Column<CompletenessRule>> = [
    { header: 'Rule', rowHeader: true, cell: (r) => r.title },
    { header: 'Encounter classes', cell: (r) => r.classes.join(', ') },
    {
      header: 'Requires',
      cell: (r) =>
        r.kind === 'signature'
          ? 'Author signature on every note'
          : `${r.document.display ?? r.document.code} (LOINC ${r.document.code})`,
    },
    {
      header: 'Due (hours)',
      cell: (r) => (
        <label>
          <span className="visually-hidden">Hours due for {r.title}</span>
          <input
            type="number"
            min={0}
            value={r.dueHours}
            onChange={(e) => setHours(r.id, e.target.value)}
          />{' '}
          {r.kind === 'signature' ? 'after the note' : ANCHORS[r.anchor]}
        </label>
      ),
    },
  ];
  return (
    <form onSubmit={submit} aria-label="Completeness rules">
      <div className="table-wrap">
        <DataTable className="results" columns={columns} rows={rules} rowKey={(r) => r.id} />
      </div>
      <div className="filters">
        <label>
          Delinquent after (days since discharge)
          <input type="number" min={1} max={365} value={days} onChange={(e) => setDays(e.target.value)} />
        </label>
        <label>
          Aging buckets (days)
          <input value={buckets} onChange={(e) => setBuckets(e.target.value)} />
        </label>
        <button type="submit" className="button">
          Save as a new version
        </button>
      </div>
      {error && (
        <p role="alert" className="warn-text">
          {error}
        </p>
      )}
    </form>
  );
}

/** The medical staff's completeness rules as data, edited by the HIM director. */
export function CompletenessRulesPage(): ReactNode {
  const [state, reload] = useLoad('completeness-rules', fetchRules);
  const [saved, setSaved] = useState<number>();
  return (
    <Page title="Completeness rules">
      {saved !== undefined && (
        <p className="notice" role="status">
          Saved as version {saved}. Charts are evaluated with it from their next change.
        </p>
      )}
      {state.status === 'loading' && <Loading label="Loading the rules" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && (
        <>
          <p className="help">
            Version {state.data.version === 0 ? '0 (built-in defaults)' : state.data.version}
          </p>
          <RulesEditor
            key={state.data.version}
            set={state.data}
            onSaved={(s) => {
              setSaved(s.version);
              reload();
            }}
          />
        </>
      )}
    </Page>
  );
}
