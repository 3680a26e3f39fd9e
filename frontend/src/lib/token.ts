// The API token lives in the browser (localStorage), entered once in the header's token
// control; it is sent only on mutations (reads are open, see docs/api.md).
import { useSyncExternalStore } from "react";

const KEY = "atp.apiToken";
const listeners = new Set<() => void>();

export function readToken(): string {
  if (typeof window === "undefined") return "";
  return window.localStorage.getItem(KEY) ?? "";
}

export function saveToken(token: string): void {
  const trimmed = token.trim();
  if (trimmed) window.localStorage.setItem(KEY, trimmed);
  else window.localStorage.removeItem(KEY);
  listeners.forEach((notify) => notify());
}

function subscribe(notify: () => void): () => void {
  listeners.add(notify);
  window.addEventListener("storage", notify); // another tab changed it
  return () => {
    listeners.delete(notify);
    window.removeEventListener("storage", notify);
  };
}

/** The current token ("" when none), re-rendering when it changes. */
export function useToken(): string {
  return useSyncExternalStore(subscribe, readToken, () => "");
}
