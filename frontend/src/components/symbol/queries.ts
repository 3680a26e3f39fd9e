// Reads of the symbol page. Candles and markers change once per candle / event: polled slower.
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";

export function useCandles(symbol: string) {
  return useQuery({
    queryKey: ["candles", symbol],
    queryFn: async () => unwrap(await api.GET("/api/market/candles", { params: { query: { symbol, limit: 300 } } })),
    refetchInterval: 15_000,
  });
}

export function useMarkers(symbol: string, since: string | undefined) {
  return useQuery({
    queryKey: ["markers", symbol, since],
    queryFn: async () => unwrap(await api.GET("/api/market/markers", { params: { query: { symbol, since, limit: 500 } } })),
    enabled: since !== undefined,
    refetchInterval: 15_000,
  });
}

export function useWhy(symbol: string) {
  return useQuery({
    queryKey: ["why", symbol],
    queryFn: async () => unwrap(await api.GET("/api/signals/why", { params: { query: { symbol } } })),
  });
}

export function useThrottle(symbol: string) {
  return useQuery({
    queryKey: ["throttle", symbol],
    queryFn: async () => unwrap(await api.GET("/api/signals/throttle", { params: { query: { symbol } } })),
  });
}
