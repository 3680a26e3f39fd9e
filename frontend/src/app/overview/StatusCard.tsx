import { StatusPill } from "@/components/StatusPill";
import type { Schemas } from "@/lib/api/client";

export function StatusCard({ state }: { state: Schemas["DashboardOut"] }) {
  // A blocker is also a status reason: shown once, with its fix, in the blockers card.
  const blockerCodes = state.blockers.map((blocker) => `${blocker.code}:`);
  const reasons = state.status_reasons.filter((reason) => !blockerCodes.some((code) => reason.startsWith(code)));
  return (
    <div className="card status-card" data-testid="global-status">
      <div className="row">
        <StatusPill status={state.global_status} label={`Platform: ${state.global_status}`} />
        <span className="pill pill-neutral">{state.trading_mode === "live" ? "LIVE trading" : "paper trading"}</span>
        <span className={state.kill_switch ? "pill pill-bad" : "pill pill-ok"}>Kill switch {state.kill_switch ? "ON: no orders" : "off"}</span>
        <span className={state.live_trading ? "pill pill-warn" : "pill pill-neutral"}>Live trading {state.live_trading ? "enabled" : "disabled"}</span>
      </div>
      {reasons.length > 0 ? (
        <ul className="reasons">
          {reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      ) : (
        <p className="muted">{state.blockers.length > 0 ? "Why: the global blockers below." : "Everything checked is working."}</p>
      )}
    </div>
  );
}
