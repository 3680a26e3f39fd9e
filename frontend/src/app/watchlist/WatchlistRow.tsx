"use client";
// One watchlist row: values as the server has them, switches and edits that go to the server.
import Link from "next/link";
import { memo, useState } from "react";

import { StatusPill } from "@/components/StatusPill";
import { describeError } from "@/lib/errors";
import { age, ageSince, num, sig, text } from "@/lib/format";

import { EditableCell } from "./EditableCell";
import { FlagToggle } from "./FlagToggle";
import { useRemoveSymbol, useSetField, useSetFlag, type Flag } from "./mutations";
import type { Row } from "./rows";
import { SignalCell } from "./SignalBadge";

const FLAGS: { flag: Flag; label: string }[] = [
  { flag: "alert_enabled", label: "alerts" },
  { flag: "buy_alert_enabled", label: "buy alerts" },
  { flag: "sell_alert_enabled", label: "sell alerts" },
  { flag: "trade_enabled", label: "trade" },
];

export const COLUMN_COUNT = 17;

// Memoised: a scroll frame renders only the rows entering the window, not every visible one
// (each poll brings new row objects, so rows still re-render once per poll).
export const WatchlistRow = memo(function WatchlistRow({ row, index }: { row: Row; index: number }) {
  const setFlag = useSetFlag();
  const setField = useSetField();
  const remove = useRemoveSymbol();
  const [confirming, setConfirming] = useState(false);
  const failure = setFlag.error ?? remove.error;
  return (
    <tr data-symbol={row.symbol} data-index={index}>
      <td>
        <Link href={`/symbol/?s=${encodeURIComponent(row.symbol)}`} className="symbol">
          {row.symbol}
        </Link>
        {failure ? (
          <div className="cell-error" role="alert">
            {describeError(failure)}
          </div>
        ) : null}
      </td>
      <td className="num">
        {text(row.price)} <div className="muted small">{row.price_age_s === null ? "no price" : `${age(row.price_age_s)} old`}</div>
      </td>
      <td>
        <SignalCell symbol={row.symbol} side={row.signal_side} />
      </td>
      <td className="num">{num(row.rsi, 1)}</td>
      <td className="num">{sig(row.ema10)}</td>
      <td className="num">{sig(row.ma50)}</td>
      <td className="num">{sig(row.ma200)}</td>
      <td className="num">{num(row.volume_ratio, 2)}</td>
      <td>{row.preset ?? <span className="muted">{text(row.strategy_key)} (default)</span>}</td>
      {FLAGS.map(({ flag, label }) => (
        <td key={flag}>
          <FlagToggle label={`${label} ${row.symbol}`} on={row[flag]} busy={setFlag.isPending && setFlag.variables?.flag === flag} onToggle={() => setFlag.mutate({ symbol: row.symbol, flag, value: !row[flag] })} />
        </td>
      ))}
      <td className="num">
        <EditableCell label={`amount USD ${row.symbol}`} value={row.trade_amount_usd} placeholder="set" onSave={(value) => setField.mutateAsync({ symbol: row.symbol, field: "trade_amount_usd", value })} />
      </td>
      <td className="num">
        <EditableCell label={`SL % ${row.symbol}`} value={row.sl_percentage} placeholder="preset" suffix=" %" onSave={(value) => setField.mutateAsync({ symbol: row.symbol, field: "sl_percentage", value })} />
      </td>
      <td className="num">
        <EditableCell label={`TP % ${row.symbol}`} value={row.tp_percentage} placeholder="preset" suffix=" %" onSave={(value) => setField.mutateAsync({ symbol: row.symbol, field: "tp_percentage", value })} />
      </td>
      <td>
        <LastAlert row={row} />
      </td>
      <td>
        {confirming ? (
          <span className="row">
            <button type="button" className="btn btn-small btn-danger" disabled={remove.isPending} onClick={() => remove.mutate(row.symbol)}>
              Remove {row.symbol}
            </button>
            <button type="button" className="btn btn-small" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </span>
        ) : (
          <button type="button" className="btn btn-small" aria-label={`remove ${row.symbol}`} onClick={() => setConfirming(true)}>
            ✕
          </button>
        )}
      </td>
    </tr>
  );
});

function LastAlert({ row }: { row: Row }) {
  const decision = row.decision_alert_status;
  const reason = row.decision_alert_reason ?? row.last_alert_reason;
  return (
    <span className="last-alert">
      {row.last_alert_status ? <StatusPill status={row.last_alert_status === "SENT" ? "PASS" : row.last_alert_status === "BLOCKED" ? "WARN" : row.last_alert_status} label={row.last_alert_status.toLowerCase()} /> : <span className="muted">no alert</span>}{" "}
      <span className="muted small">{row.last_alert_at ? ageSince(row.last_alert_at) : ""}</span>
      {decision && decision !== "NONE" && decision !== row.last_alert_status ? <div className="small">now: {decision.toLowerCase()}</div> : null}
      {reason ? <div className="small muted reason" title={reason}>{reason}</div> : null}
    </span>
  );
}
