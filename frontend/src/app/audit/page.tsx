"use client";
// Audit: the latest stored report and the trend of blocked symbols across runs.
import { useQuery } from "@tanstack/react-query";

import { BlockedTrend } from "@/components/audit/BlockedTrend";
import { LatestReport } from "@/components/audit/LatestReport";
import { Card, Page } from "@/components/Page";
import { Empty, QueryState } from "@/components/States";
import { api, unwrap } from "@/lib/api/client";
import "@/components/shared/pages.css";

export default function AuditPage() {
  const runs = useQuery({
    queryKey: ["audit-runs"],
    queryFn: async () => unwrap(await api.GET("/api/audit/runs", { params: { query: { limit: 60 } } })),
    refetchInterval: 30_000, // runs are minutes apart
  });
  return (
    <Page title="Audit" subtitle="Why no alert or no trade: stored audit runs (atp audit) and how many symbols they found blocked.">
      <QueryState query={runs} what="audit runs">
        {(page) => {
          const latest = page.items[0];
          if (!latest) {
            return (
              <Empty title="No audit run stored yet">
                Run <code>atp audit</code> on the server (or let its schedule run); each run is stored and shown here. The Overview shows a live audit meanwhile.
              </Empty>
            );
          }
          return (
            <>
              <Card title="Blocked symbols over time" testId="audit-trend">
                <BlockedTrend runs={page.items} />
              </Card>
              <Card title="Latest report" testId="audit-latest">
                <LatestReport runId={latest.id} />
              </Card>
            </>
          );
        }}
      </QueryState>
    </Page>
  );
}
