import { useState, type ReactNode } from 'react';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { useLoad } from '../../components/use-load.ts';
import { pcsStep } from './coding-api.ts';

/**
 * The ICD-10-PCS code builder: one axis at a time (section, body system, root operation, body
 * part, approach, device, qualifier), offering only the values that lead to valid codes, each
 * with its meaning; a chosen character can be taken back. `onPick` receives the finished code.
 */
export function PcsBuilder({ onPick }: { onPick: (code: string, display: string) => void }): ReactNode {
  const [prefix, setPrefix] = useState('');
  const [state, reload] = useLoad(`pcs|${prefix}`, () => pcsStep(prefix));
  return (
    <section className="pcs-builder" aria-label="ICD-10-PCS code builder">
      {state.status === 'loading' && <Loading label="Loading the next axis" />}
      {state.status === 'error' && (
        <ErrorMessage error={state.error} title="The builder failed" onRetry={reload} />
      )}
      {state.status === 'done' && (
        <>
          <ol className="pcs-chosen">
            {state.data.chosen.map((c, i) => (
              <li key={i}>
                <button
                  type="button"
                  className="link-button"
                  aria-label={`Change ${c.axis.toLowerCase()} (${c.value} ${c.meaning})`}
                  onClick={() => setPrefix(prefix.slice(0, i))}
                >
                  <span className="mono">{c.value}</span> {c.axis}: {c.meaning}
                </button>
              </li>
            ))}
          </ol>
          {state.data.code ? (
            <p>
              <span className="mono">{state.data.code.code}</span> {state.data.code.display}{' '}
              <button
                type="button"
                className="button primary small"
                onClick={() => {
                  onPick(state.data.code!.code, state.data.code!.display);
                  setPrefix('');
                }}
              >
                Use {state.data.code.code}
              </button>
            </p>
          ) : (
            <fieldset className="pcs-options">
              <legend>
                Character {state.data.position}: {state.data.axis}
              </legend>
              {state.data.options.map((o) => (
                <button
                  key={o.value}
                  type="button"
                  className="button secondary small"
                  aria-label={`${state.data.axis} ${o.value} ${o.meaning}`}
                  onClick={() => setPrefix(prefix + o.value)}
                >
                  <span className="mono">{o.value}</span> {o.meaning}{' '}
                  <span className="muted">({o.codes})</span>
                </button>
              ))}
            </fieldset>
          )}
        </>
      )}
    </section>
  );
}
