import type { UseQueryResult } from "@tanstack/react-query";

import { Card } from "@/components/Page";
import { StatusPill } from "@/components/StatusPill";
import type { Schemas } from "@/lib/api/client";

type Props = { state: Schemas["DashboardOut"]; system: UseQueryResult<Schemas["SystemHealthResponse"]> };

const NOTIFIER: Record<string, string> = {
  telegram: "alerts go to Telegram",
  console: "alerts are printed to the console (Telegram not configured)",
  blocked: "alerts are held back",
};

export function ConnectionsCard({ state, system }: Props) {
  const components = system.data?.components ?? {};
  const exchange = components["exchange_auth"];
  const market = components["market_data"];
  return (
    <Card title="Telegram and exchange" testId="connections">
      <dl>
        <dt>Telegram</dt>
        <dd>
          <StatusPill status={state.telegram.alerts_delivered ? "PASS" : "FAIL"} label={state.telegram.notifier} /> {NOTIFIER[state.telegram.notifier] ?? ""}
          {state.telegram.reasons.length > 0 ? <div className="muted">{state.telegram.reasons.join("; ")}</div> : null}
        </dd>
        <dt>Exchange</dt>
        <dd>{exchange ? <Verdict status={exchange.status} message={exchange.message} /> : <span className="muted">checking…</span>}</dd>
        <dt>Market data</dt>
        <dd>{market ? <Verdict status={market.status} message={market.message} /> : <span className="muted">checking…</span>}</dd>
      </dl>
    </Card>
  );
}

function Verdict({ status, message }: { status: string; message: string }) {
  return (
    <>
      <StatusPill status={status} /> {message}
    </>
  );
}
