import { useEffect, useState, type ReactNode } from 'react';
import { ErrorMessage, Loading, Empty } from '../../components/status.tsx';
import { Page } from '../../components/page.tsx';
import { NotesPanel } from './code-notes.tsx';
import { searchCodes, type CodeHit, type SystemChoice } from './coding-api.ts';
import { useDebounced } from './use-debounced.ts';
import './coding.css';

type Results =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'done'; q: string; codes: CodeHit[] };

/** The encoder's code search: results as you type, billable flag, and the notes of the chosen code. */
export function CodeSearchPage(): ReactNode {
  const [text, setText] = useState('');
  const [system, setSystem] = useState<SystemChoice>('icd10cm');
  const [results, setResults] = useState<Results>({ status: 'idle' });
  const [selected, setSelected] = useState<CodeHit | null>(null);
  const q = useDebounced(text.trim(), 250);

  useEffect(() => {
    if (!q) {
      setResults({ status: 'idle' });
      return;
    }
    let live = true;
    setResults({ status: 'loading' });
    searchCodes(q, system, 25).then(
      (r) => {
        if (!live) return;
        setResults({ status: 'done', q, codes: r.codes });
        setSelected(r.codes[0] ?? null);
      },
      (error: unknown) => live && setResults({ status: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [q, system]);

  return (
    <Page title="Code search">
      <form
        className="search-form"
        role="search"
        aria-label="Find a code"
        onSubmit={(e) => e.preventDefault()}
      >
        <div className="field grow">
          <label htmlFor="code-q">Words or code</label>
          <input
            id="code-q"
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            aria-describedby="code-q-help"
          />
          <p id="code-q-help" className="help">
            Words in any order (<kbd>type 2 diabetes without complications</kbd>), a code prefix (
            <kbd>E11.</kbd>); typos are fine.
          </p>
        </div>
        <div className="field">
          <label htmlFor="code-system">Code set</label>
          <select id="code-system" value={system} onChange={(e) => setSystem(e.target.value as SystemChoice)}>
            <option value="icd10cm">ICD-10-CM diagnoses</option>
            <option value="hcpcs">HCPCS Level II</option>
            <option value="icd10pcs">ICD-10-PCS procedures</option>
            <option value="">All code sets</option>
          </select>
        </div>
      </form>
      {results.status === 'loading' && <Loading label="Searching" />}
      {results.status === 'error' && <ErrorMessage error={results.error} title="The search failed" />}
      {results.status === 'done' && results.codes.length === 0 && (
        <Empty>No code matches “{results.q}”.</Empty>
      )}
      {results.status === 'done' && results.codes.length > 0 && (
        <div className="code-search-grid">
          <section aria-labelledby="code-results-heading">
            <h2 id="code-results-heading" aria-live="polite">
              {results.codes.length} codes for “{results.q}”
            </h2>
            <ul className="code-results">
              {results.codes.map((c) => (
                <li key={`${c.system}|${c.code}`}>
                  <button
                    type="button"
                    className="code-result"
                    aria-pressed={selected?.code === c.code && selected.system === c.system}
                    onClick={() => setSelected(c)}
                  >
                    <span className="mono code">{c.code}</span>
                    <span className="display">{c.display}</span>
                    {c.billable ? (
                      <span className="badge ok">Billable</span>
                    ) : (
                      <span className="badge warn">Header</span>
                    )}
                  </button>
                </li>
              ))}
            </ul>
          </section>
          {selected && <NotesPanel hit={selected} onSelect={setSelected} />}
        </div>
      )}
    </Page>
  );
}
