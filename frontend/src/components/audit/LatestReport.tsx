"use client";
// The newest stored audit run: its status, ranked root causes with the fix, and the report.
import { useQuery } from "@tanstack/react-query";

import { StatusPill } from "@/components/StatusPill";
import { QueryState } from "@/components/States";
import { api, unwrap, type Schemas } from "@/lib/api/client";
import { utcTime } from "@/lib/money";

function RootCauses({ causes }: { causes: Schemas["RootCauseOut"][] }) {
  if (causes.length === 0) return <p className="muted">No root cause: nothing was blocked in this run.</p>;
  return (
    <div className="table-wrap">
      <table data-testid="root-causes">
        <thead>
          <tr>
            <th>Cause</th>
            <th>Blocks</th>
            <th className="num">Symbols</th>
            <th>Fix</th>
          </tr>
        </thead>
        <tbody>
          {causes.map((cause) => (
            <tr key={`${cause.kind}:${cause.code}`}>
              <td>
                <code>{cause.code}</code>
              </td>
              <td>{cause.kind}</td>
              <td className="num" title={cause.symbols.join(", ")}>
                {cause.count}
              </td>
              <td className="wrap">{cause.fix ?? <span className="muted">–</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function LatestReport({ runId }: { runId: number }) {
  const run = useQuery({
    queryKey: ["audit-run", runId],
    queryFn: async () => unwrap(await api.GET("/api/audit/runs/{run_id}", { params: { path: { run_id: runId } } })),
    refetchInterval: false, // a stored run never changes
  });
  return (
    <QueryState query={run} what="the latest audit report">
      {(detail) => (
        <div className="report" data-testid="latest-report">
          <p className="row">
            <StatusPill status={detail.global_status} /> run #{detail.id} from {utcTime(detail.started_at)} ({detail.source}, {detail.mode ?? "?"} mode, last {detail.since_hours ?? "?"} h):{" "}
            <strong>{detail.blocked_symbols}</strong> of {detail.symbols_checked} symbols blocked
          </p>
          <RootCauses causes={detail.root_causes} />
          {detail.report_markdown ? (
            <details>
              <summary>Full report</summary>
              <pre className="report-text">{detail.report_markdown}</pre>
            </details>
          ) : null}
        </div>
      )}
    </QueryState>
  );
}
