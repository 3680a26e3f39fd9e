// Changes go to the server, then the affected reads are refetched: what the page shows after a
// change is what the server has (no local overlay of toggle states that can drift from the DB).
import { useMutation, useQueryClient, type QueryKey } from "@tanstack/react-query";

/** A mutation that, once it succeeded, refetches `refresh` (e.g. [["dashboard"]]) before it
 *  counts as settled, so a spinner covers the whole round trip. Errors are ApiErrors: show
 *  them with <ErrorMessage error={mutation.error} />. */
export function useApiMutation<TVariables, TData>(mutationFn: (variables: TVariables) => Promise<TData>, refresh: QueryKey[]) {
  const client = useQueryClient();
  return useMutation({
    mutationFn,
    onSuccess: async () => {
      await Promise.all(refresh.map((queryKey) => client.invalidateQueries({ queryKey })));
    },
  });
}
