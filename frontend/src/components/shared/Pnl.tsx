// A P&L amount: signed, two decimals, green for a gain and red for a loss (never a float).
import { formatPnl } from "@/lib/money";

export function Pnl({ value, suffix }: { value: string | null | undefined; suffix?: string }) {
  const { text, tone } = formatPnl(value);
  return (
    <span className={`pnl pnl-${tone} num`}>
      {text}
      {suffix && text !== "–" ? ` ${suffix}` : null}
    </span>
  );
}
