import { useEffect, useId, useState, type KeyboardEvent, type ReactNode } from 'react';
import { searchCodes, type CodeHit, type SystemChoice } from './coding-api.ts';
import { useDebounced } from './use-debounced.ts';

/**
 * A code field with suggestions (ARIA combobox): the coder may type the code outright, or words,
 * and pick from the search results with the mouse or arrow keys and Enter.
 */
export function CodePicker({
  label,
  value,
  system,
  onChange,
}: {
  label: string;
  value: string;
  system: SystemChoice;
  onChange: (code: string, display?: string) => void;
}): ReactNode {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [hits, setHits] = useState<CodeHit[]>([]);
  const [active, setActive] = useState(0);
  const q = useDebounced(value.trim(), 250);

  useEffect(() => {
    if (!open || q.length < 2) {
      setHits([]);
      return;
    }
    let live = true;
    searchCodes(q, system, 8).then(
      (r) => {
        if (!live) return;
        setHits(r.codes);
        setActive(0);
      },
      () => live && setHits([]),
    );
    return () => {
      live = false;
    };
  }, [q, system, open]);

  const pick = (hit: CodeHit): void => {
    onChange(hit.code, hit.display);
    setOpen(false);
    setHits([]);
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>): void => {
    if (!open || hits.length === 0) return;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, hits.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter') {
      const hit = hits[active];
      if (hit) {
        e.preventDefault();
        pick(hit);
      }
    } else if (e.key === 'Escape') setOpen(false);
  };
  const expanded = open && hits.length > 0;
  return (
    <div className="code-picker">
      <input
        aria-label={label}
        role="combobox"
        aria-expanded={expanded}
        aria-controls={`${id}-list`}
        aria-autocomplete="list"
        aria-activedescendant={expanded ? `${id}-opt-${active}` : undefined}
        value={value}
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => {
          onChange(e.target.value);
          setOpen(true);
        }}
        onKeyDown={onKey}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      <ul
        id={`${id}-list`}
        role="listbox"
        aria-label={`${label} suggestions`}
        className="code-options"
        hidden={!expanded}
      >
        {hits.map((h, i) => (
          <li
            key={`${h.system}|${h.code}`}
            id={`${id}-opt-${i}`}
            role="option"
            aria-selected={i === active}
            className={i === active ? 'active' : undefined}
            onMouseDown={(e) => {
              e.preventDefault();
              pick(h);
            }}
          >
            <span className="mono">{h.code}</span> {h.display}
            {!h.billable && <span className="badge warn">Header</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}
