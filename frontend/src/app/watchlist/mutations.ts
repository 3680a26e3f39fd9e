// Watchlist changes. After each the dashboard read is refetched (the server drops its snapshot
// on any change), so every cell shows the stored value, never a local guess.
import { api, unwrap, type Schemas } from "@/lib/api/client";
import { useApiMutation } from "@/lib/mutations";

const REFRESH = [["dashboard"]];

export type Flag = "alert_enabled" | "buy_alert_enabled" | "sell_alert_enabled" | "trade_enabled";
export type EditableField = "trade_amount_usd" | "sl_percentage" | "tp_percentage";

export function useSetFlag() {
  return useApiMutation(
    async ({ symbol, flag, value }: { symbol: string; flag: Flag; value: boolean }) =>
      unwrap(await api.POST("/api/watchlist/{symbol}/flags", { params: { path: { symbol } }, body: { [flag]: value } })),
    REFRESH,
  );
}

export function useSetField() {
  return useApiMutation(
    async ({ symbol, field, value }: { symbol: string; field: EditableField; value: string | null }) =>
      unwrap(await api.PATCH("/api/watchlist/{symbol}", { params: { path: { symbol } }, body: { [field]: value } })),
    REFRESH,
  );
}

export function useSetPreset() {
  return useApiMutation(
    async ({ symbol, preset }: { symbol: string; preset: string | null }) =>
      unwrap(await api.PATCH("/api/watchlist/{symbol}", { params: { path: { symbol } }, body: { preset } })),
    REFRESH,
  );
}

export function useAddSymbol() {
  return useApiMutation(
    async (symbol: string): Promise<Schemas["WatchlistAdded"]> => unwrap(await api.POST("/api/watchlist", { body: { symbol } })),
    REFRESH,
  );
}

export function useRemoveSymbol() {
  return useApiMutation(async (symbol: string) => unwrap(await api.DELETE("/api/watchlist/{symbol}", { params: { path: { symbol } } })), REFRESH);
}
