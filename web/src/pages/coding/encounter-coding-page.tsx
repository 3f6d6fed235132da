import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { DataTable, type Column } from '../../components/data-table.tsx';
import type { DocumentReference } from '@medplum/fhirtypes';
import { getSession } from '../../api.ts';
import { Empty, ErrorMessage, Loading } from '../../components/status.tsx';
import { Page } from '../../components/page.tsx';
import { useLoad } from '../../components/use-load.ts';
import { formatDate, formatDay, genderLabel } from '../../fhir-format.ts';
import { Link, navigate } from '../../router.tsx';
import { CodePicker } from './code-picker.tsx';
import { PcsBuilder } from './pcs-builder.tsx';
import {
  assignCase,
  encounterDocuments,
  fetchEncounterCoding,
  finalizeCoding,
  nextCase,
  reopenCase,
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

/** What the server accepts as a code (request.ts); anything else is words not yet turned into a code. */
const CODE_SHAPE = /^[A-Za-z0-9.\s-]{1,12}$/;
const isCodeShaped = (code: string): boolean => CODE_SHAPE.test(code.trim());

function body(dx: DxRow[], px: PxRow[], inpatient: boolean): CodesBody {
  return {
    diagnoses: dx
      .filter((d) => d.code.trim() && isCodeShaped(d.code))
      .map((d) => ({
        code: d.code.trim(),
        principal: d.principal,
        ...(inpatient && d.poa ? { poa: d.poa } : {}),
      })),
    procedures: px
      .filter((p) => p.code.trim() && isCodeShaped(p.code))
      .map((p) => ({ code: p.code.trim(), ...(p.date ? { date: p.date } : {}) })),
  };
}

/**
 * Rows whose text is not a code (words typed but no suggestion picked): shown as hard stops here
 * rather than sent, so the server never answers a field-name message and nothing is dropped silently.
 */
function localEdits(dx: DxRow[], px: PxRow[]): Edit[] {
  const notCode = (noun: string, i: number, code: string): Edit => ({
    kind: 'not-a-code',
    severity: 'error',
    hardStop: true,
    codes: [code.trim()],
    message: `${noun} ${i + 1}: "${code.trim()}" is not a code. Type a code such as E11.9, or words, then pick a suggestion.`,
  });
  return [
    ...dx.flatMap((d, i) =>
      d.code.trim() && !isCodeShaped(d.code) ? [notCode('Diagnosis', i, d.code)] : [],
    ),
    ...px.flatMap((p, i) =>
      p.code.trim() && !isCodeShaped(p.code) ? [notCode('Procedure', i, p.code)] : [],
    ),
  ];
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
function diagnosisColumns(editing: CodeListEditing<DxRow>, inpatient: boolean): Array<Column<DxRow>> {
  const { final, update } = editing;
  const principal: Column<DxRow> = {
    header: 'Principal',
    cell: (d, i) => (
      <input
        type="radio"
        name="principal"
        aria-label={`Diagnosis ${i + 1} is principal`}
        checked={d.principal && d.code.trim() !== ''}
        // A blank row cannot be the principal: saving drops blank rows, and the claim its principal.
        disabled={final || d.code.trim() === ''}
        onChange={() => update(d.key, { principal: true })}
      />
    ),
  };
  if (!inpatient) return codeListColumns('Diagnosis', 'icd10cm', editing, [principal]);
  return codeListColumns('Diagnosis', 'icd10cm', editing, [
    principal,
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
      key={`${encounterId}|${state.data.state}|${state.data.lastModified ?? ''}`}
      view={state.data}
      onSaved={reload}
    />
  );
}

/** The first coded row becomes the principal while no coded row is one: never a blank principal. */
function withPrincipal(rows: DxRow[]): DxRow[] {
  if (rows.some((r) => r.principal && r.code.trim())) return rows;
  const first = rows.find((r) => r.code.trim());
  return rows.map((r) => ({ ...r, principal: r === first }));
}

type Busy = 'idle' | 'working' | { error: unknown };

/** Alt + key shortcuts of the coding screen (announced on the buttons with aria-keyshortcuts). */
const SHORTCUTS = { save: 's', next: 'n', finalize: 'f', addDx: 'd', addPx: 'p' } as const;

function CodingForm({ view, onSaved }: { view: EncounterCodingView; onSaved: () => void }): ReactNode {
  const final = view.state === 'final';
  const inpatient = view.encounter.class === 'inpatient';
  const me = getSession()?.username ?? '';
  const [dx, setDx] = useState<DxRow[]>(() =>
    view.codes.diagnoses.length
      ? view.codes.diagnoses.map((d) => ({
          key: nextKey++,
          code: d.code,
          display: d.display,
          principal: d.principal,
          poa: d.poa ?? '',
        }))
      : [{ key: nextKey++, code: '', principal: false, poa: '' }],
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
  const [saving, setSaving] = useState<Busy>('idle');
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [finalizing, setFinalizing] = useState<Busy>('idle');
  const [reopenReason, setReopenReason] = useState('');
  const [reopening, setReopening] = useState<Busy>('idle');
  const [dirty, setDirty] = useState(false);
  const [building, setBuilding] = useState(false);

  const codes = useMemo(() => body(dx, px, inpatient), [dx, px, inpatient]);
  const local = useMemo(() => localEdits(dx, px), [dx, px]);
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
      withPrincipal(
        rows.map((r) =>
          r.key === key ? { ...r, ...patch } : patch.principal ? { ...r, principal: false } : r,
        ),
      ),
    );
  };
  const updatePx = (key: number, patch: Partial<PxRow>): void => {
    setDirty(true);
    setPx((rows) => rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  };
  // A new row is not a change to save until it has a code (empty rows are not sent).
  const addDx = (): void =>
    setDx((rows) => [...rows, { key: nextKey++, code: '', principal: false, poa: '' }]);
  const addPx = (): void =>
    setPx((rows) => [...rows, { key: nextKey++, code: '', date: view.encounter.discharge.slice(0, 10) }]);
  const removeDx = (key: number): void =>
    updateDx(key, { code: '', principal: false, removed: true } as Partial<DxRow>);
  const removePx = (key: number): void => {
    setDirty(true);
    setPx((rows) => rows.filter((r) => r.key !== key));
  };
  const canSave = !final && local.length === 0 && codes.diagnoses.length + codes.procedures.length > 0;
  const save = async (): Promise<boolean> => {
    if (!canSave) return false;
    setSaving('working');
    try {
      await saveCodes(view.encounter.id, codes);
      setSaving('idle');
      setDirty(false);
      return true;
    } catch (error) {
      setSaving({ error });
      return false;
    }
  };
  const saveAndNext = async (): Promise<void> => {
    if (dirty && !(await save())) return;
    const next = await nextCase(view.encounter.id);
    navigate(next ? `/coding/encounters/${encodeURIComponent(next)}` : '/coding/worklist');
  };
  const shown = [...local, ...edits];
  const overridable = edits.filter((e) => !e.hardStop);
  const finalize = async (): Promise<void> => {
    setFinalizing('working');
    try {
      const overrides = overridable
        .filter((e) => reasons[editKey(e)]?.trim())
        .map((e) => ({ kind: e.kind, codes: e.codes, reason: reasons[editKey(e)]!.trim() }));
      await finalizeCoding(view.encounter.id, overrides);
      setFinalizing('idle');
      onSaved();
    } catch (error) {
      setFinalizing({ error });
    }
  };
  const reopen = async (): Promise<void> => {
    setReopening('working');
    try {
      await reopenCase(view.encounter.id, reopenReason.trim());
      setReopening('idle');
      onSaved();
    } catch (error) {
      setReopening({ error });
    }
  };
  const claim = (): void => void assignCase(view.encounter.id).then(onSaved, onSaved);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (!e.altKey || e.ctrlKey || e.metaKey || final) return;
      const k = e.key.toLowerCase();
      if (k === SHORTCUTS.save) void save().then((ok) => ok && onSaved());
      else if (k === SHORTCUTS.next) void saveAndNext();
      else if (k === SHORTCUTS.finalize && view.state === 'coded' && !dirty) void finalize();
      else if (k === SHORTCUTS.addDx) addDx();
      else if (k === SHORTCUTS.addPx) addPx();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const overridden = (e: Edit) =>
    view.overrides.find((o) => o.kind === e.kind && o.codes.join() === e.codes.join());
  const procedureSystem = inpatient ? 'icd10pcs' : 'hcpcs';
  const { patient, encounter } = view;
  const mayOverride = !final && view.state === 'coded' && !dirty;

  return (
    <Page
      title={`Code encounter: ${patient.name}`}
      actions={
        <>
          {!final && view.coder !== me && (
            <button type="button" className="button secondary" onClick={claim}>
              Claim case
            </button>
          )}
          <Link to="/coding/worklist" className="button secondary">
            Back to worklist
          </Link>
        </>
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
                  · {view.coder}
                  {view.lastModified ? `, ${formatDate(view.lastModified)}` : ''}
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
        <div className="coding-codes">
          <section className="card" aria-labelledby="dx-heading">
            <h2 id="dx-heading">Diagnoses (ICD-10-CM)</h2>
            {!inpatient && <p className="help">Outpatient visit: no present-on-admission indicator.</p>}
            <DataTable
              className="compact coding-rows"
              columns={diagnosisColumns({ final, update: updateDx, remove: removeDx }, inpatient)}
              rows={dx}
              rowKey={(d) => d.key}
              rowData={(_, i) => ({ 'data-row': `dx-${i}` })}
            />
            {!final && (
              <button
                type="button"
                className="button secondary"
                onClick={addDx}
                aria-keyshortcuts="Alt+D"
                title="Alt+D"
              >
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
              <div className="button-row">
                <button
                  type="button"
                  className="button secondary"
                  onClick={addPx}
                  aria-keyshortcuts="Alt+P"
                  title="Alt+P"
                >
                  Add procedure
                </button>
                {inpatient && (
                  <button
                    type="button"
                    className="button secondary"
                    aria-expanded={building}
                    onClick={() => setBuilding(!building)}
                  >
                    Build a PCS code
                  </button>
                )}
              </div>
            )}
            {building && !final && (
              <PcsBuilder
                onPick={(code, display) => {
                  setDirty(true);
                  setPx((rows) => [
                    ...rows,
                    { key: nextKey++, code, display, date: view.encounter.discharge.slice(0, 10) },
                  ]);
                  setBuilding(false);
                }}
              />
            )}
          </section>

          {!final && (
            <div className="button-row">
              <button
                type="button"
                className="button primary"
                onClick={() => void save().then((ok) => ok && onSaved())}
                disabled={saving === 'working' || !canSave}
                aria-keyshortcuts="Alt+S"
                title="Alt+S"
              >
                {saving === 'working' ? 'Saving…' : 'Save codes'}
              </button>
              <button
                type="button"
                className="button secondary"
                onClick={() => void saveAndNext()}
                disabled={saving === 'working' || (dirty && !canSave)}
                aria-keyshortcuts="Alt+N"
                title="Alt+N"
              >
                {dirty ? 'Save and next' : 'Next case'}
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
          {!final && (
            <p className="help shortcuts">
              Keys: Alt+S save, Alt+N save and next, Alt+F finalize, Alt+D / Alt+P add a diagnosis /
              procedure.
            </p>
          )}
          {typeof saving === 'object' && (
            <ErrorMessage error={saving.error} title="The codes were not saved" />
          )}
        </div>

        <aside className="coding-edits">
          <section className="card edits-panel" aria-labelledby="edits-heading">
            <h2 id="edits-heading">Edits</h2>
            <div aria-live="polite" className="edits-live">
              {checking === 'checking' && <p className="muted">Checking…</p>}
              {checking !== 'checking' && typeof checking !== 'object' && shown.length === 0 && (
                <p className="ok-line">No edits: the codes pass every check.</p>
              )}
              {(shown.length > 0 || typeof checking === 'object') && (
                <ul className="edit-list">
                  {typeof checking === 'object' && (
                    <li className="edit error" data-kind="not-checked">
                      <strong>Error · not checked</strong>
                      <p>The codes could not be checked: {checking.error}</p>
                    </li>
                  )}
                  {shown.map((e) => (
                    <li key={editKey(e)} className={`edit ${e.severity}`} data-kind={e.kind}>
                      <strong>
                        {e.hardStop ? 'Hard stop' : e.severity === 'error' ? 'Error' : 'Warning'} · {e.kind}
                      </strong>{' '}
                      <span className="mono">{e.codes.join(', ')}</span>
                      {overridden(e) && <span className="badge ok">Overridden: {overridden(e)?.reason}</span>}
                      <p>{e.message}</p>
                      {e.hardStop && !final && (
                        <p className="muted">Correct the codes: this cannot be overridden.</p>
                      )}
                      {!e.hardStop && mayOverride && (
                        <label className="override">
                          Override reason for {e.kind}
                          {e.codes.length ? ` ${e.codes.join(', ')}` : ''}
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
                Hard stops must be corrected; every other error needs its own override reason before the codes
                are final and the claim drops.
              </p>
              <button
                type="button"
                className="button primary"
                onClick={() => void finalize()}
                disabled={dirty || finalizing === 'working'}
                aria-keyshortcuts="Alt+F"
                title="Alt+F"
              >
                {finalizing === 'working' ? 'Finalizing…' : 'Finalize coding'}
              </button>
              {dirty && <p className="muted">Save the changes first.</p>}
              {typeof finalizing === 'object' && (
                <ErrorMessage error={finalizing.error} title="Not finalized" />
              )}
            </section>
          )}
          {final && (
            <section className="card" aria-labelledby="reopen-heading">
              <h2 id="reopen-heading">Reopen</h2>
              <label className="override">
                Reason for reopening
                <input type="text" value={reopenReason} onChange={(e) => setReopenReason(e.target.value)} />
              </label>
              <button
                type="button"
                className="button secondary"
                disabled={!reopenReason.trim() || reopening === 'working'}
                onClick={() => void reopen()}
              >
                Reopen case
              </button>
              {typeof reopening === 'object' && <ErrorMessage error={reopening.error} title="Not reopened" />}
            </section>
          )}
          {view.overrides.length > 0 && (
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
          {view.history.length > 0 && (
            <section className="card" aria-labelledby="history-heading">
              <h2 id="history-heading">History</h2>
              <ul className="coding-history">
                {view.history.map((h, i) => (
                  <li key={i}>
                    {formatDate(h.time)} ·{' '}
                    {h.action === 'assigned'
                      ? h.assignee
                        ? `assigned to ${h.assignee}`
                        : 'released'
                      : h.action}{' '}
                    by {h.coder}
                    {h.reason ? `: ${h.reason}` : ''}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </aside>

        <aside className="coding-chart">
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
          <ChartDocuments encounterId={encounter.id} patientId={patient.id} />
        </aside>
      </div>
    </Page>
  );
}

/** The encounter's documents beside the codes: plain-text notes open in place, others in the chart. */
function ChartDocuments({ encounterId, patientId }: { encounterId: string; patientId: string }): ReactNode {
  const [state] = useLoad(`docs|${encounterId}`, () => encounterDocuments(encounterId));
  const [open, setOpen] = useState<string | undefined>();
  return (
    <section className="card chart-documents" aria-labelledby="documents-heading">
      <h2 id="documents-heading">Chart documents</h2>
      {state.status === 'loading' && <Loading label="Loading the documents" />}
      {state.status === 'error' && (
        <ErrorMessage error={state.error} title="The documents could not be loaded" />
      )}
      {state.status === 'done' && state.data.length === 0 && <Empty>No documents for this encounter.</Empty>}
      {state.status === 'done' && state.data.length > 0 && (
        <ul className="document-list">
          {state.data.map((d) => {
            const id = d.id ?? '';
            const text = inlineText(d);
            const title = d.description ?? d.type?.text ?? d.type?.coding?.[0]?.display ?? 'Document';
            return (
              <li key={id}>
                {text !== undefined ? (
                  <button
                    type="button"
                    className="link-button"
                    aria-expanded={open === id}
                    onClick={() => setOpen(open === id ? undefined : id)}
                  >
                    {title}
                  </button>
                ) : (
                  <Link to={`/patients/${encodeURIComponent(patientId)}/documents/${encodeURIComponent(id)}`}>
                    {title}
                  </Link>
                )}{' '}
                <span className="muted">{formatDate(d.date)}</span>
                {open === id && text !== undefined && <pre className="document-text">{text}</pre>}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

/** A note's text when it is carried inline as plain text (most clinical notes). */
function inlineText(doc: DocumentReference): string | undefined {
  const a = doc.content[0]?.attachment;
  if (!a?.data || !(a.contentType ?? '').startsWith('text/plain')) return undefined;
  const raw = atob(a.data.replace(/\s+/g, ''));
  const bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
