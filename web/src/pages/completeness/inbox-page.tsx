import { useState, type FormEvent, type ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { formatDay } from '../../fhir-format.ts';
import { Link } from '../../router.tsx';
import {
  answerQuery,
  fetchInbox,
  queryParts,
  signDocument,
  type Deficiency,
  type QueryItem,
} from './completeness-api.ts';
import { kindLabel } from './completeness-words.ts';
import './completeness.css';

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Signs the note an unsigned-note deficiency names; other deficiencies are done in the chart. */
function DeficiencyAction({ d, onDone }: { d: Deficiency; onDone: (message: string) => void }): ReactNode {
  const [error, setError] = useState<string>();
  const documentId = d.kind === 'unsigned' ? /^DocumentReference\/(.+)$/.exec(d.target)?.[1] : undefined;
  if (!documentId)
    return (
      <Link
        to={`/patients/${encodeURIComponent(d.patientId)}/encounters/${encodeURIComponent(d.encounterId)}`}
      >
        Open chart<span className="visually-hidden"> of {d.patientName}</span>
      </Link>
    );
  return (
    <>
      <Link to={`/patients/${encodeURIComponent(d.patientId)}/documents/${encodeURIComponent(documentId)}`}>
        Read<span className="visually-hidden"> the note of {d.patientName}</span>
      </Link>{' '}
      <button
        type="button"
        className="button small"
        onClick={() =>
          void signDocument(documentId).then(
            () => onDone(`Signed the note of ${d.patientName}.`),
            (err: unknown) => setError(errorText(err)),
          )
        }
      >
        Sign<span className="visually-hidden"> the note of {d.patientName}</span>
      </button>
      {error && (
        <p role="alert" className="warn-text">
          {error}
        </p>
      )}
    </>
  );
}

/** One open query: the question, the indicators quoted, and the options to choose from. */
function QueryCard({ q, onDone }: { q: QueryItem; onDone: (message: string) => void }): ReactNode {
  const [option, setOption] = useState('');
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const question = queryParts(q.task, 'question')[0] ?? q.task?.description ?? 'Query';
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    answerQuery(q.taskId, option, option === 'Other' ? text : undefined).then(
      () => onDone('Your answer is on the record.'),
      (err: unknown) => setError(errorText(err)),
    );
  };
  return (
    <article className="inbox-query" aria-label={`Query: ${question}`}>
      <h3>{question}</h3>
      <p className="issuer">
        From {q.sentBy} on {formatDay(q.sentAt)} ·{' '}
        <Link
          to={`/patients/${encodeURIComponent(q.patientId)}/encounters/${encodeURIComponent(q.encounterId)}`}
        >
          the encounter
        </Link>
      </p>
      <h4>Clinical indicators</h4>
      <ul>
        {queryParts(q.task, 'clinical-indicator').map((i) => (
          <li key={i}>{i}</li>
        ))}
      </ul>
      <form onSubmit={submit}>
        <fieldset>
          <legend>Your answer</legend>
          {queryParts(q.task, 'option').map((o) => (
            <label key={o} className="field">
              <input
                type="radio"
                name={`answer-${q.taskId}`}
                value={o}
                checked={option === o}
                onChange={() => setOption(o)}
                required
              />{' '}
              {o}
            </label>
          ))}
        </fieldset>
        {option === 'Other' && (
          <label className="field">
            In your words
            <input value={text} onChange={(e) => setText(e.target.value)} required />
          </label>
        )}
        <button type="submit" className="button">
          Send answer
        </button>
        {error && (
          <p role="alert" className="warn-text">
            {error}
          </p>
        )}
      </form>
    </article>
  );
}

/** The provider's inbox: notes to sign, open queries to answer, their own deficiencies. */
export function ProviderInboxPage(): ReactNode {
  const [state, reload] = useLoad('inbox', fetchInbox);
  const [done, setDone] = useState<string>();
  const finish = (message: string): void => {
    setDone(message);
    reload();
  };
  const columns: Array<Column<Deficiency>> = [
    { header: 'Patient', rowHeader: true, cell: (d) => d.patientName },
    {
      header: 'What is needed',
      cell: (d) => (
        <>
          <span className={d.kind === 'unsigned' ? 'badge' : 'badge warn'}>{kindLabel(d.kind)}</span>{' '}
          {d.description}
        </>
      ),
    },
    {
      header: 'Due',
      cell: (d) => (
        <>
          {formatDay(d.dueAt)} {d.overdue && <span className="badge warn">Overdue</span>}
        </>
      ),
    },
    {
      header: <span className="visually-hidden">Action</span>,
      cell: (d) => <DeficiencyAction d={d} onDone={finish} />,
    },
  ];
  return (
    <Page title="My inbox">
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      {state.status === 'loading' && <Loading label="Loading your inbox" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && (
        <>
          <p className="lead">For {state.data.practitioner.name}</p>
          <h2>Queries to answer</h2>
          {state.data.queries.length === 0 && <Empty>No open queries.</Empty>}
          {state.data.queries.map((q) => (
            <QueryCard key={q.taskId} q={q} onDone={finish} />
          ))}
          <h2>Charts waiting for you</h2>
          {state.data.deficiencies.deficiencies.length === 0 ? (
            <Empty>Nothing to sign or complete.</Empty>
          ) : (
            <div className="table-wrap">
              <DataTable
                className="results"
                caption={`${state.data.deficiencies.total} open deficiencies, soonest due first`}
                columns={columns}
                rows={state.data.deficiencies.deficiencies}
                rowKey={(d) => d.taskId}
              />
            </div>
          )}
        </>
      )}
    </Page>
  );
}
