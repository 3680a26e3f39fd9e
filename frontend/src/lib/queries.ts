// Polled reads shared by several pages. A page's own reads live in its folder; the pattern:
//   useQuery({ queryKey: ["area", args], queryFn: async () => unwrap(await api.GET(path, {...})) })
// The QueryClient (app/providers.tsx) polls every POLL_MS; a mutation invalidates instead of
// patching the cache, so the screen always shows what the server has.
import { useQuery } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "@/lib/api/client";

/** /api/control/status is untyped in the OpenAPI document (a dict): its shape, as read here. */
export type ControlStatus = {
  signal_monitor_running: boolean;
  state: string;
  paused: boolean;
  leader: { instance_id: string; alive: boolean } | null; // the freshest leader heartbeat
  heartbeat_age_s: number | null;
  last_cycle_age_s: number | null;
  blockers: { code: string; message: string | null; since: string | null }[];
};

export function useControlStatus() {
  return useQuery({
    queryKey: ["control-status"],
    queryFn: async () => unwrap(await api.GET("/api/control/status")) as unknown as ControlStatus,
  });
}

export function useDashboard() {
  return useQuery({
    queryKey: ["dashboard"],
    queryFn: async (): Promise<Schemas["DashboardOut"]> => unwrap(await api.GET("/api/dashboard")),
  });
}

/** `enabled: false` holds the read back, e.g. until the page's first paint is served. */
export function useSystemHealth({ enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: ["health-system"],
    enabled,
    queryFn: async () => unwrap(await api.GET("/api/health/system")),
  });
}

export function useAuditSummary({ enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: ["health-audit"],
    enabled,
    queryFn: async () => unwrap(await api.GET("/api/health/audit")),
    refetchInterval: 30_000, // an audit pass reads a day of history: not every few seconds
  });
}
