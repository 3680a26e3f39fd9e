// Cursor pagination (docs/api.md: newest first, `next_cursor` of the previous page). The page
// being shown is polled like any other read; "Older" follows next_cursor, "Newer" goes back.
import { useCallback, useState } from "react";

export type Pager = {
  cursor: string | undefined;
  pageNumber: number;
  older: (nextCursor: string) => void;
  newer: () => void;
  reset: () => void;
};

export function usePager(): Pager {
  const [stack, setStack] = useState<string[]>([]);
  const older = useCallback((nextCursor: string) => setStack((s) => [...s, nextCursor]), []);
  const newer = useCallback(() => setStack((s) => s.slice(0, -1)), []);
  const reset = useCallback(() => setStack([]), []);
  return { cursor: stack.at(-1), pageNumber: stack.length + 1, older, newer, reset };
}
