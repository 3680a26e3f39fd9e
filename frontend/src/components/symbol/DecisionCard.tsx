// The `why` answer: what the monitor would decide now, every condition (actual vs threshold)
// and every gate in order, with the first one that holds the alert or the order back.
import { Card } from "@/components/Page";
import { StatusPill } from "@/components/StatusPill";
import type { Schemas } from "@/lib/api/client";
import { num } from "@/lib/format";
import { formatQuantity, utcTime } from "@/lib/money";

type Why = Schemas["WhyOut"];

function Mark({ passed }: { passed: boolean | null }) {
  if (passed === null) return <span className="muted" title="not evaluated: an earlier gate decided">–</span>;
  return passed ? <span className="pass-mark">✓</span> : <span className="fail-mark">✗</span>;
}

function Verdict({ why }: { why: Why }) {
  return (
    <dl className="verdict">
      <dt>Signal</dt>
      <dd>
        <StatusPill status={why.side ?? "NONE"} /> {why.decision_reason ? <span className="muted small">{why.decision_reason}</span> : null}
      </dd>
      <dt>Alert</dt>
      <dd data-testid="why-alert">{why.alert.would_send ? <StatusPill status="PASS" label="would be sent" /> : <HeldBack reason={why.alert.reason} />}</dd>
      <dt>Order</dt>
      <dd data-testid="why-trade">{why.trade.would_create_intent ? <StatusPill status="PASS" label="would be placed" /> : <HeldBack reason={why.trade.reason} />}</dd>
      <dt>Price</dt>
      <dd>
        {formatQuantity(why.price)}
        {why.freshness ? (
          <span className={why.freshness.fresh ? "muted small" : "bad small"}>
            {" "}
            data {why.freshness.fresh ? "fresh" : "stale"}
            {why.freshness.age_s !== null ? ` (${Math.round(why.freshness.age_s)} s old, limit ${why.freshness.limit_s ?? "?"} s)` : ""}
          </span>
        ) : null}
      </dd>
      {why.sl_price || why.tp_price ? (
        <>
          <dt>SL / TP</dt>
          <dd>
            {formatQuantity(why.sl_price)} / {formatQuantity(why.tp_price)}
          </dd>
        </>
      ) : null}
    </dl>
  );
}

function HeldBack({ reason }: { reason: string | null }) {
  return (
    <span>
      <StatusPill status="WARN" label="held back" /> <code>{reason ?? "no signal"}</code>
    </span>
  );
}

function Conditions({ conditions }: { conditions: Schemas["ConditionOut"][] }) {
  if (conditions.length === 0) return <p className="muted">No condition was evaluated (see the error or the first gate above).</p>;
  return (
    <table className="compact" data-testid="why-conditions">
      <thead>
        <tr>
          <th>Side</th>
          <th>Condition</th>
          <th className="num">Actual</th>
          <th className="num">Threshold</th>
          <th>Met</th>
        </tr>
      </thead>
      <tbody>
        {conditions.map((c) => (
          <tr key={`${c.side}:${c.name}`}>
            <td>{c.side}</td>
            <td>{c.name.replaceAll("_", " ")}</td>
            <td className="num">{num(c.actual)}</td>
            <td className="num">{num(c.threshold)}</td>
            <td>
              <Mark passed={c.passed} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Gates({ title, gates }: { title: string; gates: Schemas["GateOut"][] }) {
  if (gates.length === 0) return null;
  return (
    <div>
      <h3>{title}</h3>
      <ul className="gates">
        {gates.map((g) => (
          <li key={g.gate} className={g.passed === false ? "gate gate-blocked" : "gate"}>
            <Mark passed={g.passed} /> <code>{g.gate}</code>
            {g.detail ? <span className="muted small"> {g.detail}</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function DecisionCard({ why }: { why: Why }) {
  return (
    <Card title="Decision now (why)" testId="why-card">
      <p className="muted small">
        Evaluated at {utcTime(why.evaluated_at)} with {why.strategy_key ?? "no preset"}
        {why.preset_version !== null ? ` v${why.preset_version}` : ""}; nothing is sent or stored.
        {why.config_changed_since_last_alert ? " The configuration changed since the last alert: the throttle starts afresh." : ""}
      </p>
      {why.error ? (
        <p className="state state-error" role="alert">
          {why.error}
        </p>
      ) : null}
      {why.global_causes.length ? (
        <ul className="plain">
          {why.global_causes.map((cause) => (
            <li key={cause.code} className="blocker">
              <code>{cause.code}</code> {cause.message}
              {cause.blocks ? <span className="muted small"> (blocks {cause.blocks}s)</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
      <Verdict why={why} />
      <Conditions conditions={why.conditions} />
      <div className="gate-columns">
        <Gates title="Alert gates" gates={why.alert_gates} />
        <Gates title="Order gates" gates={why.trade_gates} />
      </div>
    </Card>
  );
}
