import { Card } from "@/components/Page";
import type { Schemas } from "@/lib/api/client";
import { sum } from "@/lib/format";

function ByStatus({ counts }: { counts: Record<string, number> }) {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <span className="muted">none</span>;
  return (
    <span>
      <strong>{sum(counts)}</strong>{" "}
      <span className="muted">({entries.map(([status, n]) => `${n} ${status.toLowerCase()}`).join(", ")})</span>
    </span>
  );
}

export function TodayCard({ counts, dayStart }: { counts: Schemas["CountsOut"]; dayStart: string }) {
  return (
    <Card title="Today" testId="today">
      <dl>
        <dt>Alerts</dt>
        <dd>
          <ByStatus counts={counts.alerts_today} />
        </dd>
        <dt>Orders</dt>
        <dd>
          <ByStatus counts={counts.orders_today} />
        </dd>
        <dt>Open positions</dt>
        <dd>{counts.open_positions}</dd>
        <dt>Unprotected</dt>
        <dd className={counts.naked.length ? "bad" : undefined}>{counts.naked.length ? counts.naked.join(", ") : "none"}</dd>
      </dl>
      <p className="muted small">Since {new Date(dayStart).toUTCString().replace(" GMT", " UTC")}</p>
    </Card>
  );
}
