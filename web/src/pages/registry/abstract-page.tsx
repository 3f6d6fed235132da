import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Page } from '../../components/page.tsx';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { Link } from '../../router.tsx';
import {
  checkEdits,
  completeAbstract,
  fetchAbstract,
  fetchItems,
  saveAbstract,
  type Abstract,
  type EditFailure,
  type ItemInfo,
  type Values,
} from './registry-api.ts';
import './registry.css';

/** How long the form waits after the last keystroke before asking the server for the edits. */
const EDIT_DELAY_MS = 400;

function Field({
  item,
  value,
  failures,
  onChange,
}: {
  item: ItemInfo;
  value: string;
  failures: EditFailure[];
  onChange: (v: string) => void;
}): ReactNode {
  const id = `item-${item.naaccrId}`;
  const errorId = `${id}-edits`;
  const invalid = failures.some((f) => f.level === 'error');
  const common = {
    id,
    value,
    'aria-invalid': invalid,
    ...(failures.length > 0 ? { 'aria-describedby': errorId } : {}),
  };
  return (
    <div className={invalid ? 'field registry-field invalid' : 'field registry-field'}>
      <label htmlFor={id}>
        {item.label} <span className="item-number">({item.number})</span>
      </label>
      {item.codes ? (
        <select {...common} onChange={(e) => onChange(e.target.value)}>
          <option value="">—</option>
          {Object.entries(item.codes).map(([code, meaning]) => (
            <option key={code} value={code}>
              {code} {meaning}
            </option>
          ))}
        </select>
      ) : (
        <input
          {...common}
          className="mono"
          placeholder={item.format === 'date' ? 'YYYYMMDD' : undefined}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {failures.length > 0 && (
        <ul id={errorId} className="edit-messages">
          {failures.map((f) => (
            <li key={f.id}>
              <span className="mono">{f.id}</span> {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function AbstractForm({
  abstract,
  items,
  sections,
}: {
  abstract: Abstract;
  items: ItemInfo[];
  sections: string[];
}): ReactNode {
  const [values, setValues] = useState<Values>(abstract.values);
  const [edits, setEdits] = useState<EditFailure[]>(abstract.edits);
  const [status, setStatus] = useState(abstract.status);
  const [notice, setNotice] = useState('');
  const [error, setError] = useState<unknown>(null);

  // Live edits: the server's edit set runs on what is typed, nothing saved.
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      checkEdits(abstract.patient, abstract.caseId, values).then(
        (r) => live && setEdits(r.edits),
        () => undefined,
      );
    }, EDIT_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [abstract.patient, abstract.caseId, values]);

  const errors = edits.filter((e) => e.level === 'error');
  const run = async (work: () => Promise<Abstract>, done: string): Promise<void> => {
    setError(null);
    setNotice('');
    try {
      const saved = await work();
      setEdits(saved.edits);
      setStatus(saved.status);
      setNotice(done);
    } catch (err) {
      setError(err);
    }
  };
  const save = (e: FormEvent): void => {
    e.preventDefault();
    void run(() => saveAbstract(abstract.patient, abstract.caseId, values), 'The abstract was saved.');
  };
  return (
    <form aria-label="Abstract" onSubmit={save}>
      <p>
        Status: <strong>{status === 'complete' ? 'Complete' : 'Open'}</strong>
        {abstract.sourceCode && (
          <>
            {' '}
            · found by ICD-10-CM <span className="mono">{abstract.sourceCode}</span>
          </>
        )}
      </p>
      <p role="status" className={errors.length > 0 ? 'edit-summary warn' : 'edit-summary'}>
        {errors.length === 0
          ? 'All edits pass.'
          : `${errors.length} ${errors.length === 1 ? 'edit fails' : 'edits fail'}.`}
      </p>
      {sections.map((section) => (
        <fieldset key={section} className="registry-section">
          <legend>{section}</legend>
          {items
            .filter((i) => i.section === section)
            .map((item) => (
              <Field
                key={item.naaccrId}
                item={item}
                value={values[item.naaccrId] ?? ''}
                failures={edits.filter((e) => e.items[0] === item.naaccrId)}
                onChange={(v) => setValues((old) => ({ ...old, [item.naaccrId]: v }))}
              />
            ))}
        </fieldset>
      ))}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {error !== null && <ErrorMessage error={error} title="Not saved" />}
      <div className="button-row">
        <button type="submit" className="button secondary">
          Save
        </button>
        <button
          type="button"
          className="button primary"
          onClick={() =>
            void run(
              () => completeAbstract(abstract.patient, abstract.caseId, values),
              'The abstract is complete.',
            )
          }
        >
          Complete abstract
        </button>
      </div>
    </form>
  );
}

/** One case's abstract: NAACCR items by section, each with the edits that concern it. */
export function AbstractPage({ patientId, caseId }: { patientId: string; caseId: string }): ReactNode {
  const [state, reload] = useLoad(`abstract ${patientId} ${caseId}`, async () => {
    const [abstract, dictionary] = await Promise.all([fetchAbstract(patientId, caseId), fetchItems()]);
    return { abstract, dictionary };
  });
  const title = state.status === 'done' ? `Abstract: ${state.data.abstract.patientName}` : 'Abstract';
  return (
    <Page title={title} actions={<Link to="/registry">Back to the suspense queue</Link>}>
      {state.status === 'loading' && <Loading label="Loading the abstract" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && (
        <AbstractForm
          abstract={state.data.abstract}
          items={state.data.dictionary.items}
          sections={state.data.dictionary.sections}
        />
      )}
    </Page>
  );
}
