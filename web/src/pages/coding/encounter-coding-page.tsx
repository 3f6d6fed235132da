import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import { ErrorMessage, Loading } from '../../components/status.tsx';
import { Page } from '../../components/page.tsx';
import { useLoad } from '../../components/use-load.ts';
import { formatDate, formatDay, genderLabel } from '../../fhir-format.ts';
import { Link } from '../../router.tsx';
import { CodePicker } from './code-picker.tsx';
import {
  fetchEncounterCoding,
  finalizeCoding,
  saveCodes,
  validateCodes,
  type CodesBody,
  type CodingRequest,
  type Edit,
  type EncounterCodingView,
  type SystemChoice,
} from './coding-api.ts';
import { useDebounced } from './use-debounced.ts';
import './coding.css';

/** What every row of a code list has: a key that follows the row while edited, a code, its description. */
interface CodeRow {
  key: number;
  code: string;
  display?: string | undefined;
}
interface DxRow extends CodeRow {
  principal: boolean;
  poa: string;
}
interface PxRow extends CodeRow {
  date: string;
}

const POA_OPTIONS: Array<[string, string]> = [
  ['', '—'],
  ['Y', 'Y – present at admission'],
  ['N', 'N – not present'],
  ['U', 'U – documentation insufficient'],
  ['W', 'W – clinically undetermined'],
  ['1', '1 – exempt'],
];

let nextKey = 1;
const editKey = (e: Edit): string => `${e.kind}|${e.codes.join(',')}`;

function body(dx: DxRow[], px: PxRow[]): CodesBody {
  return {
    diagnoses: dx
      .filter((d) => d.code.trim())
      .map((d) => ({ code: d.code.trim(), principal: d.principal, ...(d.poa ? { poa: d.poa } : {}) })),
    procedures: px
      .filter((p) => p.code.trim())
      .map((p) => ({ code: p.code.trim(), ...(p.date ? { date: p.date } : {}) })),
  };
}

function validationRequest(view: EncounterCodingView, codes: CodesBody): CodingRequest {
  const admitDate = view.encounter.admit.slice(0, 10);
  const inpatient = view.encounter.class === 'inpatient';
  return {
    setting: inpatient ? 'inpatient' : 'outpatient',
    patient: { age: view.patient.age, sex: view.patient.sex as CodingRequest['patient']['sex'] },
    admitDate,
    dischargeDate: view.encounter.discharge.slice(0, 10),
    ...(inpatient ? {} : { serviceDate: admitDate }),
    diagnoses: codes.diagnoses,
    procedures: codes.procedures,
  };
}

/** How a code list's cells change it: nothing once the codes are final, else edit or drop a row. */
interface CodeListEditing<R extends CodeRow> {
  final: boolean;
  update: (key: number, patch: Partial<R>) => void;
  remove: (key: number) => void;
}

/** The diagnosis list: principal (one of the list) and present-on-admission between code and remove. */
function diagnosisColumns(editing: CodeListEditing<DxRow>): Array<Column<DxRow>> {
  const { final, update } = editing;
  return codeListColumns('Diagnosis', 'icd10cm', editing, [
    {
      header: 'Principal',
      cell: (d, i) => (
        <input
          type="radio"
          name="principal"
          aria-label={`Diagnosis ${i + 1} is principal`}
          checked={d.principal}
          disabled={final}
          onChange={() => update(d.key, { principal: true })}
        />
      ),
    },
    {
      header: 'POA',
      cell: (d, i) => (
        <select
          aria-label={`Diagnosis ${i + 1} present on admission`}
          value={d.poa}
          disabled={final}
          onChange={(e) => update(d.key, { poa: e.target.value })}
        >
          {POA_OPTIONS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      ),
    },
  ]);
}

/** The procedure list: the date performed between code and remove. */
function procedureColumns(system: SystemChoice, editing: CodeListEditing<PxRow>): Array<Column<PxRow>> {
  const { final, update } = editing;
  return codeListColumns('Procedure', system, editing, [
    {
      header: 'Date',
      cell: (p, i) => (
        <input
          type="date"
          aria-label={`Procedure ${i + 1} date`}
          value={p.date}
          disabled={final}
          onChange={(e) => update(p.key, { date: e.target.value })}
        />
      ),
    },
  ]);
}

/**
 * The columns both code lists share, around the list's own: the code (a picker while the codes are
 * open, plain text once final), its description, and a remove button. `noun` names the row in
 * the fields' labels ("Diagnosis 2 code", "Remove diagnosis 2").
 */
function codeListColumns<R extends CodeRow>(
  noun: 'Diagnosis' | 'Procedure',
  system: SystemChoice,
  // Typed on the shared fields only: a code pick changes those, whatever else the list's rows carry.
  { final, update, remove }: CodeListEditing<CodeRow>,
  own: Array<Column<R>>,
): Array<Column<R>> {
  return [
    {
      header: 'Code',
      cell: (r, i) =>
        final ? (
          <span className="mono">{r.code}</span>
        ) : (
          <CodePicker
            label={`${noun} ${i + 1} code`}
            value={r.code}
            system={system}
            onChange={(code, display) => update(r.key, { code, display })}
          />
        ),
    },
    { header: 'Description', cell: (r) => r.display ?? '', className: 'display' },
    ...own,
    {
      header: <span className="visually-hidden">Remove</span>,
      cell: (r, i) =>
        !final && (
          <button
            type="button"
            className="button secondary small"
            aria-label={`Remove ${noun.toLowerCase()} ${i + 1}`}
            onClick={() => remove(r.key)}
          >
            Remove
          </button>
        ),
    },
  ];
}

/** The encounter coding screen: who and what, the codes with live edits, save and finalize. */
export function EncounterCodingPage({ encounterId }: { encounterId: string }): ReactNode {
  const [state, reload] = useLoad(encounterId, () => fetchEncounterCoding(encounterId));
  if (state.status === 'loading') return <Loading label="Loading the encounter" />;
  if (state.status === 'error')
    return <ErrorMessage error={state.error} title="The encounter could not be loaded" onRetry={reload} />;
  return (
    <CodingForm
      key={`${state.data.state}|${state.data.lastModified ?? ''}`}
      view={state.data}
      onSaved={reload}
    />
  );
}

function CodingForm({ view, onSaved }: { view: EncounterCodingView; onSaved: () => void }): ReactNode {
  const final = view.state === 'final';
  const [dx, setDx] = useState<DxRow[]>(() =>
    view.codes.diagnoses.length
      ? view.codes.diagnoses.map((d) => ({
          key: nextKey++,
          code: d.code,
          display: d.display,
          principal: d.principal,
          poa: d.poa ?? '',
        }))
      : [{ key: nextKey++, code: '', principal: true, poa: '' }],
  );
  const [px, setPx] = useState<PxRow[]>(() =>
    view.codes.procedures.map((p) => ({
      key: nextKey++,
      code: p.code,
      display: p.display,
      date: p.date ?? '',
    })),
  );
  const [edits, setEdits] = useState<Edit[]>(view.edits);
  const [checking, setChecking] = useState<'idle' | 'checking' | { error: string }>('idle');
  const [saving, setSaving] = useState<'idle' | 'saving' | { error: unknown }>('idle');
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [finalizing, setFinalizing] = useState<'idle' | 'working' | { error: unknown }>('idle');
  const [dirty, setDirty] = useState(false);

  const codes = useMemo(() => body(dx, px), [dx, px]);
  const settled = useDebounced(JSON.stringify(codes), 400);

  useEffect(() => {
    const current = JSON.parse(settled) as CodesBody;
    if (current.diagnoses.length + current.procedures.length === 0) {
      setEdits([]);
      return;
    }
    let live = true;
    setChecking('checking');
    validateCodes(validationRequest(view, current)).then(
      (r) => {
        if (!live) return;
        setEdits(r.edits);
        setChecking('idle');
      },
      (err: unknown) => live && setChecking({ error: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      live = false;
    };
  }, [settled, view]);

  const updateDx = (key: number, patch: Partial<DxRow>): void => {
    setDirty(true);
    setDx((rows) =>
      rows.map((r) =>
        r.key === key ? { ...r, ...patch } : patch.principal ? { ...r, principal: false } : r,
      ),
    );
  };
  const updatePx = (key: number, patch: Partial<PxRow>): void => {
    setDirty(true);
    setPx((rows) => rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  };
  // A new row is not a change to save until it has a code (empty rows are not sent).
  const addDx = (): void =>
    setDx((rows) => [...rows, { key: nextKey++, code: '', principal: rows.length === 0, poa: '' }]);
  const addPx = (): void =>
    setPx((rows) => [...rows, { key: nextKey++, code: '', date: view.encounter.discharge.slice(0, 10) }]);
  const removeDx = (key: number): void => {
    setDirty(true);
    setDx((rows) => rows.filter((r) => r.key !== key));
  };
  const removePx = (key: number): void => {
    setDirty(true);
    setPx((rows) => rows.filter((r) => r.key !== key));
  };
  const save = async (): Promise<void> => {
    setSaving('saving');
    try {
      await saveCodes(view.encounter.id, codes);
      setSaving('idle');
      setDirty(false);
      onSaved();
    } catch (error) {
      setSaving({ error });
    }
  };
  const errors = edits.filter((e) => e.severity === 'error');
  const finalize = async (): Promise<void> => {
    setFinalizing('working');
    try {
      const overrides = errors
        .filter((e) => reasons[editKey(e)]?.trim())
        .map((e) => ({ kind: e.kind, codes: e.codes, reason: reasons[editKey(e)]!.trim() }));
      await finalizeCoding(view.encounter.id, overrides);
      setFinalizing('idle');
      onSaved();
    } catch (error) {
      setFinalizing({ error });
    }
  };
  const overridden = (e: Edit) =>
    view.overrides.find((o) => o.kind === e.kind && o.codes.join() === e.codes.join());
  const procedureSystem = view.encounter.class === 'inpatient' ? 'icd10pcs' : 'hcpcs';
  const { patient, encounter } = view;

  return (
    <Page
      title={`Code encounter: ${patient.name}`}
      actions={
        <Link to="/coding/worklist" className="button secondary">
          Back to worklist
        </Link>
      }
    >
      <section className="banner coding-banner" aria-label="Patient and encounter">
        <dl className="banner-facts">
          <div>
            <dt>MRN</dt>
            <dd className="mono">{patient.mrn}</dd>
          </div>
          <div>
            <dt>Age at admission · sex</dt>
            <dd>
              {patient.age} · {genderLabel(patient.sex)}
            </dd>
          </div>
          <div>
            <dt>Class</dt>
            <dd>{encounter.class}</dd>
          </div>
          <div>
            <dt>Admitted</dt>
            <dd>{formatDate(encounter.admit)}</dd>
          </div>
          <div>
            <dt>Discharged</dt>
            <dd>{formatDate(encounter.discharge)}</dd>
          </div>
          <div>
            <dt>Coding state</dt>
            <dd>
              <span className={`badge ${view.state === 'uncoded' ? '' : 'ok'}`} data-state={view.state}>
                {view.state}
              </span>
              {view.coder && (
                <span className="muted">
                  {' '}
                  by {view.coder}, {formatDate(view.lastModified)}
                </span>
              )}
            </dd>
          </div>
        </dl>
        {(encounter.type || encounter.reason) && (
          <p className="muted">
            {encounter.type}
            {encounter.reason ? ` · reason: ${encounter.reason}` : ''}
          </p>
        )}
      </section>

      <div className="coding-layout">
        <div>
          <section className="card" aria-labelledby="dx-heading">
            <h2 id="dx-heading">Diagnoses (ICD-10-CM)</h2>
            <DataTable
              className="compact coding-rows"
              columns={diagnosisColumns({ final, update: updateDx, remove: removeDx })}
              rows={dx}
              rowKey={(d) => d.key}
              rowData={(_, i) => ({ 'data-row': `dx-${i}` })}
            />
            {!final && (
              <button type="button" className="button secondary" onClick={addDx}>
                Add diagnosis
              </button>
            )}
          </section>

          <section className="card" aria-labelledby="px-heading">
            <h2 id="px-heading">Procedures ({procedureSystem === 'icd10pcs' ? 'ICD-10-PCS' : 'HCPCS'})</h2>
            {px.length > 0 && (
              <DataTable
                className="compact coding-rows"
                columns={procedureColumns(procedureSystem, { final, update: updatePx, remove: removePx })}
                rows={px}
                rowKey={(p) => p.key}
              />
            )}
            {!final && (
              <button type="button" className="button secondary" onClick={addPx}>
                Add procedure
              </button>
            )}
          </section>

          {!final && (
            <div className="button-row">
              <button
                type="button"
                className="button primary"
                onClick={() => void save()}
                disabled={saving === 'saving' || codes.diagnoses.length + codes.procedures.length === 0}
              >
                {saving === 'saving' ? 'Saving…' : 'Save codes'}
              </button>
              {dirty ? (
                <span className="muted">Unsaved changes</span>
              ) : (
                view.state === 'coded' && (
                  <span className="muted" role="status">
                    Codes saved
                  </span>
                )
              )}
            </div>
          )}
          {typeof saving === 'object' && (
            <ErrorMessage error={saving.error} title="The codes were not saved" />
          )}
        </div>

        <aside>
          <section className="card edits-panel" aria-labelledby="edits-heading">
            <h2 id="edits-heading">Edits</h2>
            <div aria-live="polite" className="edits-live">
              {checking === 'checking' && <p className="muted">Checking…</p>}
              {typeof checking === 'object' && <p className="notice">{checking.error}</p>}
              {checking !== 'checking' && typeof checking !== 'object' && edits.length === 0 && (
                <p className="ok-line">No edits: the codes pass every check.</p>
              )}
              {edits.length > 0 && (
                <ul className="edit-list">
                  {edits.map((e) => (
                    <li key={editKey(e)} className={`edit ${e.severity}`} data-kind={e.kind}>
                      <strong>
                        {e.severity === 'error' ? 'Error' : 'Warning'} · {e.kind}
                      </strong>{' '}
                      <span className="mono">{e.codes.join(', ')}</span>
                      {overridden(e) && <span className="badge ok">Overridden: {overridden(e)?.reason}</span>}
                      <p>{e.message}</p>
                      {e.severity === 'error' && !final && view.state === 'coded' && !dirty && (
                        <label className="override">
                          Override reason
                          <input
                            type="text"
                            value={reasons[editKey(e)] ?? ''}
                            onChange={(ev) => setReasons((r) => ({ ...r, [editKey(e)]: ev.target.value }))}
                          />
                        </label>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          </section>

          {view.state === 'coded' && (
            <section className="card" aria-labelledby="final-heading">
              <h2 id="final-heading">Finalize</h2>
              <p className="help">
                Every error must be cleared or overridden with a reason before the codes are final and the
                claim drops.
              </p>
              <button
                type="button"
                className="button primary"
                onClick={() => void finalize()}
                disabled={dirty || finalizing === 'working'}
              >
                {finalizing === 'working' ? 'Finalizing…' : 'Finalize coding'}
              </button>
              {dirty && <p className="muted">Save the changes first.</p>}
              {typeof finalizing === 'object' && (
                <ErrorMessage error={finalizing.error} title="Not finalized" />
              )}
            </section>
          )}
          {final && view.overrides.length > 0 && (
            <section className="card" aria-labelledby="overrides-heading">
              <h2 id="overrides-heading">Overrides</h2>
              <ul>
                {view.overrides.map((o, i) => (
                  <li key={i}>
                    {o.kind} {o.codes.join(', ')}: {o.reason} <span className="muted">({o.coder})</span>
                  </li>
                ))}
              </ul>
            </section>
          )}

          <section className="card" aria-labelledby="documented-heading">
            <h2 id="documented-heading">Documented in the chart</h2>
            <ul className="documented">
              {view.documented.diagnoses.map((d, i) => (
                <li key={`d${i}`}>
                  <span className="mono">{d.code}</span> {d.display}
                </li>
              ))}
              {view.documented.procedures.map((p, i) => (
                <li key={`p${i}`}>
                  <span className="mono">{p.code}</span> {p.display}{' '}
                  {p.date ? <span className="muted">{formatDay(p.date)}</span> : null}
                </li>
              ))}
            </ul>
          </section>
        </aside>
      </div>
    </Page>
  );
}
