"use client";
// One switch (alert / buy / sell / trade). It shows the stored value; a click asks the server
// to flip it and the refetched row shows the result. No optimistic state.
type Props = { label: string; on: boolean; busy: boolean; onToggle: () => void };

export function FlagToggle({ label, on, busy, onToggle }: Props) {
  return (
    <button type="button" role="switch" aria-checked={on} aria-label={label} className={on ? "flag flag-on" : "flag"} disabled={busy} onClick={onToggle} title={`${label}: ${on ? "on" : "off"} (click to turn ${on ? "off" : "on"})`}>
      {busy ? "…" : on ? "ON" : "off"}
    </button>
  );
}
