// Reads and writes of the Settings page. A write refetches the reads that show its effect
// (the page then shows what the server stored, never a local copy).
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { useApiMutation } from "@/lib/mutations";

export function useTradingSettings() {
  return useQuery({ queryKey: ["trading-settings"], queryFn: async () => unwrap(await api.GET("/api/trading/settings")) });
}

export function usePresets() {
  return useQuery({
    queryKey: ["presets"],
    queryFn: async () => unwrap(await api.GET("/api/presets", { params: { query: { limit: 200 } } })),
  });
}

export function useConfigChanges(cursor: string | undefined) {
  return useQuery({
    queryKey: ["config-changes", cursor],
    queryFn: async () => unwrap(await api.GET("/api/config-changes", { params: { query: { limit: 25, cursor } } })),
  });
}

// What a settings or preset change can alter on screen: refetched after a change succeeds.
const AFFECTED = [["trading-settings"], ["presets"], ["config-changes"], ["control-status"], ["dashboard"]];

export function useSetSetting() {
  return useApiMutation(
    async ({ key, value }: { key: string; value: string | boolean }) =>
      unwrap(await api.PUT("/api/trading/settings/{key}", { params: { path: { key } }, body: { value } })),
    AFFECTED,
  );
}

export function useUpdatePreset() {
  return useApiMutation(
    async ({ key, params }: { key: string; params: Record<string, string | number | boolean | null> }) =>
      unwrap(await api.PUT("/api/presets/{key}", { params: { path: { key } }, body: { params } })),
    AFFECTED,
  );
}
