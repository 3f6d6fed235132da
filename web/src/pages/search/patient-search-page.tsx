import { useState, type FormEvent, type ReactNode } from 'react';
import type { FoundPatient } from '../../../../src/chart/index.ts';
import { findPatients } from '../../api.ts';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { Page } from '../../components/page.tsx';
import { useLoad } from '../../components/use-load.ts';
import { classLabel, formatDate, formatDay, genderLabel } from '../../fhir-format.ts';
import { Link, navigate, useLocation } from '../../router.tsx';

/**
 * Patient search: one box for name, "family, given", MRN or birth date, plus an optional birth
 * date. The query lives in the URL, so Back returns to the same results.
 */
export function PatientSearchPage(): ReactNode {
  const { search } = useLocation();
  const q = search.get('q') ?? '';
  const birthdate = search.get('birthdate') ?? '';
  const [text, setText] = useState(q);
  const [date, setDate] = useState(birthdate);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const params = new URLSearchParams();
    if (text.trim()) params.set('q', text.trim());
    if (date) params.set('birthdate', date);
    navigate(`/search?${params.toString()}`);
  };
  return (
    <Page title="Patient search">
      <form className="search-form" role="search" aria-label="Find a patient" onSubmit={submit}>
        <div className="field grow">
          <label htmlFor="q">Name, MRN or birth date</label>
          <input
            id="q"
            name="q"
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-describedby="q-help"
            autoComplete="off"
            spellCheck={false}
          />
          <p id="q-help" className="help">
            For example <kbd>Keeling</kbd>, <kbd>Reynolds, Jani</kbd>, an MRN, or <kbd>1991-07-08</kbd>.
            Misspellings and nicknames are fine.
          </p>
        </div>
        <div className="field">
          <label htmlFor="birthdate">Birth date (optional)</label>
          <input
            id="birthdate"
            name="birthdate"
            type="date"
            value={date}
            onChange={(e) => setDate(e.target.value)}
          />
        </div>
        <div className="field actions">
          <button type="submit" className="button primary" disabled={!text.trim() && !date}>
            Search
          </button>
        </div>
      </form>
      {(q || birthdate) && <Results q={q} birthdate={birthdate} />}
    </Page>
  );
}

function Results({ q, birthdate }: { q: string; birthdate: string }): ReactNode {
  const [state, reload] = useLoad(`${q}|${birthdate}`, () => findPatients(q, birthdate || undefined));
  if (state.status === 'loading') return <Loading label="Searching" />;
  if (state.status === 'error')
    return <ErrorMessage error={state.error} title="The search failed" onRetry={reload} />;
  const { results, total } = state.data;
  if (results.length === 0)
    return (
      <Empty>No patient matches “{q || birthdate}”. Check the spelling or try the birth date or MRN.</Empty>
    );
  return (
    <section aria-labelledby="results-heading">
      <h2 id="results-heading" aria-live="polite">
        {total} {total === 1 ? 'patient' : 'patients'} found
        {total > results.length ? `, showing the best ${results.length}` : ''}
      </h2>
      <div className="table-wrap">
        <table className="results">
          <caption className="visually-hidden">
            Patients matching “{q || birthdate}”, best match first
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Birth date</th>
              <th scope="col">Sex</th>
              <th scope="col">MRN</th>
              <th scope="col">Last encounter</th>
            </tr>
          </thead>
          <tbody>
            {results.map((p) => (
              <ResultRow key={p.id} patient={p} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ResultRow({ patient: p }: { patient: FoundPatient }): ReactNode {
  if (p.restricted) {
    return (
      <tr className="restricted">
        <th scope="row">
          <Link to={`/patients/${encodeURIComponent(p.id)}`}>Restricted record</Link>
          <span className="badge warn">Break the glass to view</span>
        </th>
        <td colSpan={4} className="muted">
          Details are hidden for this confidential chart.
        </td>
      </tr>
    );
  }
  return (
    <tr className={p.mergedInto ? 'merged' : undefined}>
      <th scope="row">
        <Link to={`/patients/${encodeURIComponent(p.id)}`}>
          {p.family ? `${p.family}, ${p.given ?? ''}` : p.name}
        </Link>
        {p.matchedBy.includes('identifier') && <span className="badge">MRN match</span>}
        {p.mergedInto && (
          <div className="merged-into">
            <span className="badge warn">Merged</span> into{' '}
            <Link to={`/patients/${encodeURIComponent(p.mergedInto.id)}`}>
              {p.mergedInto.display ?? 'its surviving record'}
            </Link>
          </div>
        )}
      </th>
      <td>{formatDate(p.birthDate)}</td>
      <td>{genderLabel(p.gender)}</td>
      <td className="mono">{p.mrn}</td>
      <td>
        {p.lastEncounter ? `${formatDay(p.lastEncounter.date)} · ${classLabel(p.lastEncounter.class)}` : '—'}
      </td>
    </tr>
  );
}
