"use client";
// The signal badge; hovering or focusing it lists every condition with actual vs threshold
// (read from /api/signals for that one symbol only when opened: 500 rows stay light).
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { StatusPill } from "@/components/StatusPill";
import { api, unwrap, type Schemas } from "@/lib/api/client";
import { describeError } from "@/lib/errors";
import { num } from "@/lib/format";

type Condition = Schemas["ConditionOut"];

export function ConditionList({ conditions }: { conditions: Condition[] }) {
  if (conditions.length === 0) return <p className="muted">No conditions evaluated yet.</p>;
  return (
    <table className="conditions">
      <thead>
        <tr>
          <th>Condition</th>
          <th className="num">Actual</th>
          <th className="num">Threshold</th>
          <th>Met</th>
        </tr>
      </thead>
      <tbody>
        {conditions.map((c) => (
          <tr key={`${c.side}:${c.name}`} className={c.passed ? "met" : "unmet"}>
            <td>
              {c.side} · {c.name.replaceAll("_", " ")}
            </td>
            <td className="num">{num(c.actual, 4)}</td>
            <td className="num">{num(c.threshold, 4)}</td>
            <td>{c.passed ? "✓ yes" : "✗ no"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type Props = { side: string | null; conditions?: Condition[]; loading?: boolean; error?: unknown; onOpen?: () => void };

/** Presentational: the pill plus a tooltip fed by the caller (see SignalCell). */
export function SignalBadge({ side, conditions, loading, error, onOpen }: Props) {
  const [open, setOpen] = useState(false);
  const show = () => {
    setOpen(true);
    onOpen?.();
  };
  if (!side) return <span className="muted">not evaluated</span>;
  return (
    <span className="badge-anchor" onMouseEnter={show} onMouseLeave={() => setOpen(false)} onFocus={show} onBlur={() => setOpen(false)} tabIndex={0} aria-label={`signal ${side}: show conditions`}>
      <StatusPill status={side} />
      {open ? (
        <span className="tooltip" role="tooltip">
          {error ? <span className="bad">{describeError(error)}</span> : loading || !conditions ? <span className="muted">Loading conditions…</span> : <ConditionList conditions={conditions} />}
        </span>
      ) : null}
    </span>
  );
}

export function SignalCell({ symbol, side }: { symbol: string; side: string | null }) {
  const [wanted, setWanted] = useState(false);
  const state = useQuery({
    queryKey: ["signal", symbol],
    enabled: wanted,
    queryFn: async () => unwrap(await api.GET("/api/signals", { params: { query: { symbol, limit: 1 } } })),
  });
  return <SignalBadge side={side} conditions={state.data?.items[0]?.conditions ?? (state.data ? [] : undefined)} loading={state.isFetching && !state.data} error={state.error} onOpen={() => setWanted(true)} />;
}
