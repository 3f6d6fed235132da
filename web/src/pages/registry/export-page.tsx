import { useState, type FormEvent, type ReactNode } from 'react';
import { Page } from '../../components/page.tsx';
import { ErrorMessage } from '../../components/status.tsx';
import { exportFileUrl, fetchCounts, type PeriodCounts } from './registry-api.ts';
import './registry.css';

const lastYear = new Date().getUTCFullYear() - 1;

/** A reporting period's counts and its NAACCR XML document for the central registry. */
export function ExportPage(): ReactNode {
  const [from, setFrom] = useState(`${lastYear}-01-01`);
  const [to, setTo] = useState(`${lastYear}-12-31`);
  const [counts, setCounts] = useState<PeriodCounts | null>(null);
  const [file, setFile] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const show = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(null);
    setFile(null);
    try {
      setCounts(await fetchCounts(from, to));
    } catch (err) {
      setError(err);
    }
  };
  const download = async (): Promise<void> => {
    try {
      setFile(await exportFileUrl(from, to));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Page title="NAACCR export">
      <form aria-label="Reporting period" onSubmit={(e) => void show(e)}>
        <div className="button-row">
          <div className="field">
            <label htmlFor="export-from">Diagnosed from</label>
            <input id="export-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="export-to">to</label>
            <input id="export-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
          </div>
        </div>
        <button type="submit" className="button secondary">
          Show counts
        </button>
      </form>
      {error !== null && <ErrorMessage error={error} />}
      {counts && (
        <>
          <p role="status">
            {counts.completed} completed abstracts of {counts.patients} patients will be reported;{' '}
            {counts.open} of the period are still open.
          </p>
          <div className="button-row">
            <button type="button" className="button primary" onClick={() => void download()}>
              Prepare NAACCR XML
            </button>
            {file && (
              <a className="button secondary" href={file} download={`naaccr-${from}-${to}.xml`}>
                Download the file
              </a>
            )}
          </div>
        </>
      )}
    </Page>
  );
}
