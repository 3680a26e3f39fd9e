// The alert throttle per side: when the last alert went out, when the cooldown ends and
// whether an alert would pass the throttle at the current price.
import { Card } from "@/components/Page";
import { StatusPill } from "@/components/StatusPill";
import type { Schemas } from "@/lib/api/client";
import { formatQuantity, utcTime } from "@/lib/money";

export function ThrottleCard({ throttle }: { throttle: Schemas["ThrottleOut"] }) {
  return (
    <Card title="Throttle" testId="throttle-card">
      <p className="muted small">
        Cooldown {throttle.cooldown_minutes} min and a move of at least {throttle.min_price_change_pct} % from the last alert&apos;s price ({throttle.strategy_key}); price now {formatQuantity(throttle.price)}.
      </p>
      <table className="compact throttle-table">
        <thead>
          <tr>
            <th>Side</th>
            <th>Last alert</th>
            <th className="num">at price</th>
            <th>Cooldown ends</th>
            <th>Now</th>
          </tr>
        </thead>
        <tbody>
          {throttle.sides.map((s) => (
            <tr key={s.side}>
              <td>{s.side}</td>
              <td>{s.last_sent_at ? utcTime(s.last_sent_at) : <span className="muted">none yet</span>}</td>
              <td className="num">{formatQuantity(s.last_sent_price)}</td>
              <td>{utcTime(s.cooldown_ends_at)}</td>
              <td title={s.detail}>
                {s.allowed_now === null ? (
                  <span className="muted">no price</span>
                ) : s.allowed_now ? (
                  <StatusPill status="PASS" label="would pass" />
                ) : (
                  <StatusPill status="WARN" label={s.reason === "THROTTLED_TIME_GATE" ? "cooling down" : "price moved too little"} />
                )}
                <div className="muted small">{s.detail}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {throttle.sides.some((s) => s.reset_at) ? (
        <p className="muted small">
          Reset by a configuration change: {throttle.sides.filter((s) => s.reset_at).map((s) => `${s.side} at ${utcTime(s.reset_at)}`).join(", ")}.
        </p>
      ) : null}
    </Card>
  );
}
