import { useEffect, useRef, useState } from 'react';

export type LoadState<T> =
  { status: 'loading' } | { status: 'error'; error: unknown } | { status: 'done'; data: T };

/**
 * Runs `load` when `key` changes and keeps its state; `reload` runs it again. A late answer for
 * an older key is dropped, so quick navigation never shows the wrong patient.
 */
export function useLoad<T>(key: string, load: () => Promise<T>): [LoadState<T>, () => void] {
  const [state, setState] = useState<LoadState<T>>({ status: 'loading' });
  const [tick, setTick] = useState(0);
  // The latest `load` closure; the key (not the closure) says when to fetch again.
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    let live = true;
    setState({ status: 'loading' });
    loader.current().then(
      (data) => live && setState({ status: 'done', data }),
      (error: unknown) => live && setState({ status: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  return [state, () => setTick((t) => t + 1)];
}
