"use client";
// Overview: is the platform healthy, what blocks it and how to fix it, what happened today.
import { Page } from "@/components/Page";
import { QueryState } from "@/components/States";
import { useAuditSummary, useDashboard, useSystemHealth } from "@/lib/queries";

import { BlockersCard } from "./BlockersCard";
import { ConnectionsCard } from "./ConnectionsCard";
import { MonitorCard } from "./MonitorCard";
import { RootCausesCard } from "./RootCausesCard";
import { StatusCard } from "./StatusCard";
import { TodayCard } from "./TodayCard";

export default function OverviewPage() {
  const dashboard = useDashboard();
  // The status first: the heavier reads (the audit reads a day of history) start once the
  // dashboard answered, so they do not compete with it for the API's first response.
  const painted = dashboard.data !== undefined;
  const system = useSystemHealth({ enabled: painted });
  const audit = useAuditSummary({ enabled: painted });
  return (
    <Page title="Overview" subtitle="Health, blockers and today's activity; refreshes every few seconds.">
      <QueryState query={dashboard} what="the platform status">
        {(state) => (
          <>
            <StatusCard state={state} />
            <BlockersCard blockers={state.blockers} />
            <div className="grid">
              <MonitorCard monitor={state.monitor} />
              <ConnectionsCard state={state} system={system} />
              <TodayCard counts={state.counts} dayStart={state.day_start} />
            </div>
          </>
        )}
      </QueryState>
      <RootCausesCard audit={audit} />
    </Page>
  );
}
