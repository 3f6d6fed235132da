import type { ReactNode } from 'react';
import type { CodeNote, NoteKind } from '../../../../src/coding/index.ts';
import { useLoad } from '../../components/use-load.ts';
import { lookupCode, type CodeHit } from './coding-api.ts';

/**
 * The tabular's instructional notes for one code, grouped the way the book prints them, each
 * marked with where it is inherited from (chapter, block, category or the code itself).
 */

const SECTIONS: Array<{ kinds: NoteKind[]; title: string; tone?: 'warn' }> = [
  { kinds: ['includes', 'inclusionTerm'], title: 'Includes' },
  { kinds: ['excludes1'], title: 'Excludes1 (never together)', tone: 'warn' },
  { kinds: ['excludes2'], title: 'Excludes2 (not included here)' },
  { kinds: ['codeFirst'], title: 'Code first' },
  { kinds: ['useAdditionalCode'], title: 'Use additional code' },
  { kinds: ['codeAlso'], title: 'Code also' },
  { kinds: ['notes'], title: 'Notes' },
];

const SYSTEM_LABEL: Record<string, string> = {
  icd10cm: 'ICD-10-CM',
  icd10pcs: 'ICD-10-PCS',
  hcpcs: 'HCPCS Level II',
};

const LEVEL_LABEL: Record<CodeNote['level'], string> = {
  chapter: 'chapter',
  section: 'block',
  category: 'category',
  code: 'this code',
};

function From({ note }: { note: CodeNote }): ReactNode {
  return (
    <span className="note-from">
      {LEVEL_LABEL[note.level]} {note.level === 'code' ? '' : note.from}
    </span>
  );
}

/**
 * Where the code sits and what is below it: the levels above (codes clickable, then block and
 * chapter) and the codes one level down, so the tabular can be walked from any code.
 */
function Hierarchy({ hit, onSelect }: { hit: CodeHit; onSelect: (hit: CodeHit) => void }): ReactNode {
  const [state] = useLoad(`tree|${hit.system}|${hit.version}|${hit.code}`, () =>
    lookupCode(hit.system, hit.code, hit.version),
  );
  if (state.status !== 'done') return null;
  const open = (code: string): void =>
    void lookupCode(hit.system, code, hit.version).then(onSelect, () => undefined);
  const above = state.data.hierarchy;
  return (
    <div className="note-group code-tree">
      {above.length > 0 && (
        <>
          <h3>In the tabular</h3>
          <ul>
            {[...above].reverse().map((l) => (
              <li key={`${l.level}|${l.code}`}>
                {l.level === 'code' || l.level === 'category' ? (
                  <button type="button" className="link-button" onClick={() => open(l.code)}>
                    <span className="mono">{l.code}</span> {l.title}
                  </button>
                ) : (
                  <span>
                    {l.level === 'section' ? 'Block' : 'Chapter'} {l.code}: {l.title}
                  </span>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      {state.data.children.length > 0 && (
        <>
          <h3>Codes below</h3>
          <ul>
            {state.data.children.map((c) => (
              <li key={c.code}>
                <button type="button" className="link-button" onClick={() => open(c.code)}>
                  <span className="mono">{c.code}</span> {c.display}
                </button>
                {!c.billable && <span className="muted"> (header)</span>}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

export function NotesPanel({ hit, onSelect }: { hit: CodeHit; onSelect: (hit: CodeHit) => void }): ReactNode {
  const seventhNotes = hit.notes.filter((n) => n.kind === 'sevenChrNote');
  const seventhDefs = hit.notes.filter((n) => n.kind === 'sevenChrDef');
  const sections = SECTIONS.map((s) => ({
    ...s,
    notes: hit.notes.filter((n) => s.kinds.includes(n.kind)),
  })).filter((s) => s.notes.length > 0);
  return (
    <section className="notes-panel card" aria-labelledby="notes-heading">
      <h2 id="notes-heading">
        <span className="mono">{hit.code}</span> {hit.display}
      </h2>
      <p>
        {hit.billable ? (
          <span className="badge ok">Billable</span>
        ) : (
          <span className="badge warn">Header – not billable</span>
        )}{' '}
        <span className="muted">
          {SYSTEM_LABEL[hit.system] ?? hit.system.toUpperCase()} {hit.version}
          {hit.validIn.length > 0 && ` · billable in ${hit.validIn.join(', ')}`}
          {hit.notesFrom && ` · notes from ${hit.notesFrom}`}
        </span>
      </p>
      {sections.length === 0 && seventhDefs.length === 0 && (
        <p className="muted">No instructional notes apply to this code.</p>
      )}
      {sections.map((s) => (
        <div key={s.title} className={`note-group${s.tone === 'warn' ? ' warn' : ''}`}>
          <h3>{s.title}</h3>
          <ul>
            {s.notes.map((n, i) => (
              <li key={i}>
                {n.text} <From note={n} />
              </li>
            ))}
          </ul>
        </div>
      ))}
      {(seventhDefs.length > 0 || seventhNotes.length > 0) && (
        <div className="note-group">
          <h3>7th character</h3>
          {seventhNotes.map((n, i) => (
            <p key={i}>
              {n.text} <From note={n} />
            </p>
          ))}
          {seventhDefs.length > 0 && (
            <dl className="seventh">
              {seventhDefs.map((n, i) => (
                <div key={i}>
                  <dt className="mono">{n.chr}</dt>
                  <dd>{n.text}</dd>
                </div>
              ))}
            </dl>
          )}
        </div>
      )}
      <Hierarchy hit={hit} onSelect={onSelect} />
    </section>
  );
}
