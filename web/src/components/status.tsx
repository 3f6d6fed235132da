import type { ReactNode } from 'react';

/** A polite, visible loading line (screen readers hear it once). */
export function Loading({ label = 'Loading' }: { label?: string }): ReactNode {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}…
    </p>
  );
}

/** An error the user can read and act on, announced at once. */
export function ErrorMessage({
  error,
  title = 'Something went wrong',
  onRetry,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}): ReactNode {
  const text = error instanceof Error ? error.message : String(error);
  return (
    <div className="error-box" role="alert">
      <strong>{title}</strong>
      <p>{text}</p>
      {onRetry && (
        <button type="button" className="button secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }): ReactNode {
  return <p className="empty">{children}</p>;
}
