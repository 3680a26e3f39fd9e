// Designed loading / empty / error states, shared by every page: never a blank area.
import type { ReactNode } from "react";

import { describeError } from "@/lib/errors";

export function Loading({ what }: { what: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty" role="status">
      <strong>{title}</strong>
      {children ? <div className="muted">{children}</div> : null}
    </div>
  );
}

export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <span>{describeError(error)}</span>
      {onRetry ? (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

type Query<T> = { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };

/** Loading, then error (with retry), then the content: the pattern of every polled panel. */
export function QueryState<T>({ query, what, children }: { query: Query<T>; what: string; children: (data: T) => ReactNode }) {
  if (query.data !== undefined) {
    return (
      <>
        {query.error ? <ErrorMessage error={query.error} /> : null}
        {children(query.data)}
      </>
    );
  }
  if (query.error) return <ErrorMessage error={query.error} onRetry={() => void query.refetch()} />;
  return <Loading what={what} />;
}
