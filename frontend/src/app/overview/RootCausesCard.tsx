import type { UseQueryResult } from "@tanstack/react-query";

import { Card } from "@/components/Page";
import { Empty, QueryState } from "@/components/States";
import type { Schemas } from "@/lib/api/client";

const TOP = 5;

export function RootCausesCard({ audit }: { audit: UseQueryResult<Schemas["AuditSummary"]> }) {
  return (
    <Card title="Top root causes (audit of the last hours)" testId="root-causes">
      <QueryState query={audit} what="the audit">
        {(summary) =>
          summary.root_causes.length === 0 ? (
            <Empty title="No blocked symbols">The audit found nothing holding symbols back.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Cause</th>
                  <th className="num">Symbols</th>
                  <th>Fix</th>
                </tr>
              </thead>
              <tbody>
                {summary.root_causes.slice(0, TOP).map((cause) => (
                  <tr key={`${cause.kind}:${cause.code}`}>
                    <td>
                      <code>{cause.code}</code> <span className="muted">{cause.symbols.slice(0, 4).join(", ")}{cause.symbols.length > 4 ? "…" : ""}</span>
                    </td>
                    <td className="num">{cause.count}</td>
                    <td className="wrap">{cause.fix ?? "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryState>
    </Card>
  );
}
