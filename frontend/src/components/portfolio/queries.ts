import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";

export function useBalances() {
  return useQuery({ queryKey: ["balances"], queryFn: async () => unwrap(await api.GET("/api/balances")) });
}

export function usePositions() {
  return useQuery({
    queryKey: ["positions"],
    queryFn: async () => unwrap(await api.GET("/api/positions", { params: { query: { limit: 500 } } })),
  });
}
