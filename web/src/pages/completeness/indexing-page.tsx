import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Page } from '../../components/page.tsx';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { formatDate } from '../../fhir-format.ts';
import {
  documentBlob,
  fetchQueue,
  fileDocument,
  uploadDocument,
  type QueuedDocument,
} from './completeness-api.ts';
import './completeness.css';

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** PDF in a frame, PNG and JPEG as images; TIFF (no browser shows it) as a download. */
function DocumentViewer({ doc }: { doc: QueuedDocument }): ReactNode {
  const [shown, setShown] = useState<{ url: string; contentType: string } | { error: string }>();
  useEffect(() => {
    let live = true;
    let url: string | undefined;
    setShown(undefined);
    documentBlob(doc.id).then(
      (b) => {
        url = b.url;
        if (live) setShown(b);
      },
      (err: unknown) => live && setShown({ error: errorText(err) }),
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [doc.id]);
  if (!shown) return <Loading label="Loading the document" />;
  if ('error' in shown) return <ErrorMessage error={new Error(shown.error)} />;
  if (shown.contentType === 'application/pdf')
    return <iframe src={shown.url} title={`Document ${doc.title}`} />;
  if (shown.contentType === 'image/png' || shown.contentType === 'image/jpeg')
    return <img src={shown.url} alt={`Scanned page: ${doc.title}`} />;
  return (
    <p>
      This {shown.contentType} file cannot be shown in the browser.{' '}
      <a href={shown.url} download={doc.title}>
        Download {doc.title}
      </a>
    </p>
  );
}

/** Filing a queued document to the patient (and encounter) it belongs to. */
function FilingForm({
  doc,
  onFiled,
}: {
  doc: QueuedDocument;
  onFiled: (message: string) => void;
}): ReactNode {
  const [patient, setPatient] = useState('');
  const [encounter, setEncounter] = useState('');
  const [type, setType] = useState('');
  const [error, setError] = useState<string>();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    fileDocument(doc.id, {
      patient: patient.trim(),
      ...(encounter.trim() ? { encounter: encounter.trim() } : {}),
      ...(type ? { type } : {}),
    }).then(
      () => onFiled(`Filed ${doc.title} to Patient/${patient.trim().replace(/^Patient\//, '')}.`),
      (err: unknown) => setError(errorText(err)),
    );
  };
  return (
    <form className="filing-form" onSubmit={submit} aria-label={`File ${doc.title}`}>
      <label>
        Patient id
        <input
          value={patient}
          onChange={(e) => setPatient(e.target.value)}
          required
          placeholder="Patient/…"
        />
      </label>
      <label>
        Encounter id (optional)
        <input value={encounter} onChange={(e) => setEncounter(e.target.value)} placeholder="Encounter/…" />
      </label>
      <label>
        Document type
        <select value={type} onChange={(e) => setType(e.target.value)}>
          <option value="">Keep as uploaded</option>
          <option value="http://loinc.org|34117-2">History and physical</option>
          <option value="http://loinc.org|11504-8">Operative note</option>
          <option value="http://loinc.org|18842-5">Discharge summary</option>
          <option value="http://loinc.org|59284-0">Consent</option>
          <option value="http://loinc.org|34133-9">Summary of episode note</option>
        </select>
      </label>
      <button type="submit" className="button">
        File document
      </button>
      {error && (
        <p role="alert" className="warn-text">
          {error}
        </p>
      )}
    </form>
  );
}

/** Scanning intake: a file goes to the queue (or straight to a patient when one is given). */
function UploadForm({ onUploaded }: { onUploaded: (message: string) => void }): ReactNode {
  const [file, setFile] = useState<File>();
  const [patient, setPatient] = useState('');
  const [error, setError] = useState<string>();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (!file) return;
    uploadDocument(file, { patient }).then(
      (ref) => onUploaded(`Uploaded ${file.name} as ${ref}.`),
      (err: unknown) => setError(errorText(err)),
    );
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Upload a document">
      <label>
        Scanned or electronic document (PDF, TIFF, PNG, JPEG)
        <input
          type="file"
          accept=".pdf,.tif,.tiff,.png,.jpg,.jpeg"
          onChange={(e) => setFile(e.target.files?.[0])}
          required
        />
      </label>
      <label>
        Patient id (leave empty to index later)
        <input value={patient} onChange={(e) => setPatient(e.target.value)} />
      </label>
      <button type="submit" className="button secondary">
        Upload
      </button>
      {error && (
        <p role="alert" className="warn-text">
          {error}
        </p>
      )}
    </form>
  );
}

/** The indexing queue: unfiled uploads, a viewer, and the form that files them. */
export function IndexingQueuePage(): ReactNode {
  const [state, reload] = useLoad('indexing-queue', fetchQueue);
  const [selected, setSelected] = useState<string>();
  const [done, setDone] = useState<string>();
  const finish = (message: string): void => {
    setDone(message);
    setSelected(undefined);
    reload();
  };
  const doc = state.status === 'done' ? state.data.documents.find((d) => d.id === selected) : undefined;
  return (
    <Page title="Indexing queue">
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      <UploadForm onUploaded={finish} />
      {state.status === 'loading' && <Loading label="Loading the queue" />}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && state.data.documents.length === 0 && (
        <Empty>No documents wait for indexing.</Empty>
      )}
      {state.status === 'done' && state.data.documents.length > 0 && (
        <div className="indexing">
          <section aria-label="Unfiled documents">
            <h2>{state.data.total} unfiled</h2>
            <ul className="queue-list">
              {state.data.documents.map((d) => (
                <li key={d.id}>
                  <button
                    type="button"
                    className={d.id === selected ? 'button small' : 'button small secondary'}
                    aria-pressed={d.id === selected}
                    onClick={() => setSelected(d.id)}
                  >
                    {d.title}
                  </button>{' '}
                  <span className="issuer">
                    {d.contentType} · {formatDate(d.date)}
                  </span>
                </li>
              ))}
            </ul>
          </section>
          <section aria-label="Document" className="viewer">
            {doc ? (
              <>
                <h2>{doc.title}</h2>
                <DocumentViewer doc={doc} />
                <FilingForm doc={doc} onFiled={finish} />
              </>
            ) : (
              <Empty>Choose a document to view and file it.</Empty>
            )}
          </section>
        </div>
      )}
    </Page>
  );
}
