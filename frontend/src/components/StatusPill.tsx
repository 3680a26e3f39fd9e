// PASS / WARN / FAIL (and other verdicts) as a coloured pill: colour plus the word itself.
const TONES: Record<string, string> = {
  PASS: "ok",
  OK: "ok",
  WARN: "warn",
  FAIL: "bad",
  BUY: "ok",
  SELL: "bad",
};

export function StatusPill({ status, label }: { status: string; label?: string }) {
  const tone = TONES[status.toUpperCase()] ?? "neutral";
  return <span className={`pill pill-${tone}`}>{label ?? status}</span>;
}
