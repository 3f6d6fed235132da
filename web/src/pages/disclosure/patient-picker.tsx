import { useState, type FormEvent, type ReactNode } from 'react';
import type { FoundPatient } from '../../../../src/chart/index.ts';
import { findPatients } from '../../api.ts';
import { ErrorMessage } from '../../components/status.tsx';

/** A patient the ROI screens work on. */
export interface ChosenPatient {
  id: string;
  name: string;
  birthDate?: string | undefined;
  mrn?: string | undefined;
}

/**
 * Finds a patient by name, MRN or birth date and hands the chosen one back. Charts the user may
 * not see are left out: their requests need the glass broken first, on the chart.
 */
export function PatientPicker({
  chosen,
  onChoose,
}: {
  chosen: ChosenPatient | null;
  onChoose: (p: ChosenPatient) => void;
}): ReactNode {
  const [text, setText] = useState('');
  const [results, setResults] = useState<ChosenPatient[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const search = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(null);
    try {
      const found = (await findPatients(text.trim())).results;
      setResults(found.filter((p): p is Extract<FoundPatient, { restricted: false }> => !p.restricted));
    } catch (err) {
      setError(err);
    }
  };
  if (chosen)
    return (
      <p>
        Patient: <strong>{chosen.name}</strong> · born {chosen.birthDate ?? 'unknown'} · MRN{' '}
        {chosen.mrn ?? 'none'}
      </p>
    );
  return (
    <div>
      <form
        className="search-form"
        role="search"
        aria-label="Find the patient"
        onSubmit={(e) => void search(e)}
      >
        <div className="field grow">
          <label htmlFor="roi-patient">Patient name, MRN or birth date</label>
          <input
            id="roi-patient"
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            autoComplete="off"
          />
        </div>
        <div className="field actions">
          <button type="submit" className="button secondary" disabled={!text.trim()}>
            Find patient
          </button>
        </div>
      </form>
      {error !== null && <ErrorMessage error={error} />}
      {results && results.length === 0 && <p className="empty">No patient matches.</p>}
      {results && results.length > 0 && (
        <ul className="roi-checks">
          {results.slice(0, 10).map((p) => (
            <li key={p.id}>
              <button type="button" className="button small secondary" onClick={() => onChoose(p)}>
                Choose {p.name}
              </button>{' '}
              born {p.birthDate ?? 'unknown'} · MRN {p.mrn ?? 'none'}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
