import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

/**
 * A small history-API router: the application lives under /app/ (the server answers every
 * /app/* path with index.html), so links are plain <a href> that also work when opened anew.
 */

export const BASE = '/app';

export interface Location {
  /** The path below /app, always starting with '/'. */
  path: string;
  search: URLSearchParams;
}

function currentLocation(): Location {
  const raw = window.location.pathname.startsWith(BASE)
    ? window.location.pathname.slice(BASE.length)
    : window.location.pathname;
  return { path: raw === '' ? '/' : raw, search: new URLSearchParams(window.location.search) };
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => {
  navigations++;
  listeners.forEach((l) => l());
});

export function href(path: string): string {
  return `${BASE}${path}`;
}

let navigations = 0;

/** How many in-app navigations happened since the page loaded (0 on a fresh load). */
export function navigationCount(): number {
  return navigations;
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  navigations++;
  const url = href(path);
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  listeners.forEach((l) => l());
}

export function useLocation(): Location {
  const [location, setLocation] = useState(currentLocation);
  useEffect(() => {
    const update = (): void => setLocation(currentLocation());
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return location;
}

/** Matches '/patients/:id/encounters/:eid' against a path; the named parts, or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i] as string;
    const seg = s[i] as string;
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(seg);
    else if (part !== seg) return null;
  }
  return params;
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string; children: ReactNode };

/** An <a> that navigates in place on a plain click and behaves like a link otherwise. */
export function Link({ to, children, onClick, ...rest }: LinkProps): ReactNode {
  const handle = (e: MouseEvent<HTMLAnchorElement>): void => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={href(to)} onClick={handle} {...rest}>
      {children}
    </a>
  );
}
