import {
  useEffect,
  useId,
  useRef,
  useState,
  type CSSProperties,
  type KeyboardEvent,
  type ReactNode,
} from 'react';
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
  const [place, setPlace] = useState<CSSProperties>({});
  const input = useRef<HTMLInputElement>(null);
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
        // Enter picks a billable code first, never a header above it.
        setActive(
          Math.max(
            0,
            r.codes.findIndex((h) => h.billable),
          ),
        );
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
    // Escape closes the list even before its suggestions arrive, so they do not open over the page.
    if (e.key === 'Escape') {
      setOpen(false);
      return;
    }
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
    }
  };
  const expanded = open && hits.length > 0;

  // The list floats over the page (fixed to the field's place), so no card or table clips it.
  useEffect(() => {
    if (!expanded) return;
    const follow = (): void => {
      const r = input.current?.getBoundingClientRect();
      if (!r) return;
      const below = window.innerHeight - r.bottom - 8;
      const above = r.top - 8;
      const up = below < 240 && above > below;
      setPlace({
        position: 'fixed',
        left: Math.max(4, Math.min(r.left, window.innerWidth - 520)),
        ...(up ? { bottom: window.innerHeight - r.top + 2 } : { top: r.bottom + 2 }),
        maxHeight: Math.max(160, up ? above : below),
      });
    };
    follow();
    window.addEventListener('scroll', follow, true);
    window.addEventListener('resize', follow);
    return () => {
      window.removeEventListener('scroll', follow, true);
      window.removeEventListener('resize', follow);
    };
  }, [expanded]);
  return (
    <div className="code-picker">
      <input
        ref={input}
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
        style={place}
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
