// Reads of the Orders page (polled by the shared QueryClient, see lib/polling.ts).
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";

export function useOpenOrders() {
  return useQuery({
    queryKey: ["orders-open"],
    queryFn: async () => unwrap(await api.GET("/api/orders/open", { params: { query: { limit: 500 } } })),
  });
}

export function useProtection() {
  return useQuery({
    queryKey: ["orders-protection"],
    queryFn: async () => unwrap(await api.GET("/api/orders/protection", { params: { query: { limit: 500 } } })),
  });
}

export function useFills(cursor: string | undefined) {
  return useQuery({
    queryKey: ["orders-fills", cursor],
    queryFn: async () => unwrap(await api.GET("/api/orders/fills", { params: { query: { limit: 25, cursor } } })),
  });
}

export function useOrderHistory(cursor: string | undefined) {
  return useQuery({
    queryKey: ["orders-history", cursor],
    queryFn: async () => unwrap(await api.GET("/api/orders/history", { params: { query: { limit: 25, cursor } } })),
  });
}
