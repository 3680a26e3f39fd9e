// Protection of an open position at a glance: covered (a working stop-loss holds the whole
// quantity), naked (no working stop: an incident once it lasts), flattening (being closed).
const LOOK: Record<string, { tone: string; label: string; title: string }> = {
  covered: { tone: "ok", label: "covered", title: "a working stop-loss covers the position" },
  naked: { tone: "bad", label: "naked", title: "no working stop-loss: the position is unprotected" },
  flattening: { tone: "warn", label: "flattening", title: "protection failed; the position is being closed" },
  closed: { tone: "neutral", label: "closed", title: "the position is closed" },
};

export function ProtectionBadge({ status, overdue = false }: { status: string; overdue?: boolean }) {
  const look = LOOK[status.toLowerCase()] ?? { tone: "neutral", label: status, title: status };
  const label = overdue && status.toLowerCase() === "naked" ? "naked (overdue)" : look.label;
  const title = overdue ? `${look.title}, for longer than one protection round` : look.title;
  return (
    <span className={`pill pill-${look.tone}`} title={title} data-testid="protection-badge">
      {label}
    </span>
  );
}
