import { Card } from "@/components/Page";
import { StatusPill } from "@/components/StatusPill";
import type { Schemas } from "@/lib/api/client";
import { age, text } from "@/lib/format";

export function MonitorCard({ monitor }: { monitor: Schemas["MonitorOut"] }) {
  const verdict = monitor.running ? "PASS" : monitor.paused ? "WARN" : "FAIL";
  return (
    <Card title="Signal monitor" testId="monitor">
      <dl>
        <dt>State</dt>
        <dd>
          <StatusPill status={verdict} label={monitor.paused ? "paused" : monitor.state.replace("_", " ")} />
        </dd>
        <dt>Heartbeat</dt>
        <dd>{monitor.heartbeat_age_s === null ? "none yet" : `${age(monitor.heartbeat_age_s)} ago`}</dd>
        <dt>Last cycle</dt>
        <dd>{monitor.last_cycle_age_s === null ? "none yet" : `${age(monitor.last_cycle_age_s)} ago`}</dd>
        <dt>Leader</dt>
        <dd>
          {text(monitor.leader)} {monitor.leader ? <span className="muted">({monitor.leader_alive ? "alive" : "silent"})</span> : null}
        </dd>
      </dl>
    </Card>
  );
}
