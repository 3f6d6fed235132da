import { useEffect, useState } from 'react';

/** The value, once it has stopped changing for `ms` milliseconds (search-as-you-type, live edits). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}
