import type { Pager } from "./usePager";

export function PagerControls({ pager, nextCursor, label }: { pager: Pager; nextCursor: string | null | undefined; label: string }) {
  if (pager.pageNumber === 1 && !nextCursor) return null;
  return (
    <div className="row pager" aria-label={`${label} pages`}>
      <button type="button" className="btn btn-small" onClick={pager.newer} disabled={pager.pageNumber === 1}>
        ← Newer
      </button>
      <span className="muted small">page {pager.pageNumber}</span>
      <button type="button" className="btn btn-small" onClick={() => nextCursor && pager.older(nextCursor)} disabled={!nextCursor}>
        Older →
      </button>
    </div>
  );
}
