// Every open position and whether a working stop-loss protects it.
import { SymbolLink } from "@/components/shared/SymbolLink";
import type { Schemas } from "@/lib/api/client";
import { formatQuantity, utcTime } from "@/lib/money";

import { ProtectionBadge } from "./ProtectionBadge";

function prices(values: string[]): string {
  return values.length ? values.map((p) => formatQuantity(p)).join(", ") : "none";
}

export function ProtectionTable({ rows }: { rows: Schemas["ProtectionOut"][] }) {
  return (
    <div className="table-wrap">
      <table data-testid="protection-table">
        <thead>
          <tr>
            <th>Symbol</th>
            <th className="num">Quantity</th>
            <th>Protection</th>
            <th className="num">Stop-loss</th>
            <th className="num">Stop covers</th>
            <th className="num">Take-profit</th>
            <th>Opened</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} className={row.status === "naked" ? "row-bad" : undefined}>
              <td>
                <SymbolLink symbol={row.symbol} />
              </td>
              <td className="num">{formatQuantity(row.quantity)}</td>
              <td>
                <ProtectionBadge status={row.status} overdue={row.naked_overdue} />
              </td>
              <td className="num">{prices(row.stop_prices)}</td>
              <td className="num">{formatQuantity(row.stop_quantity)}</td>
              <td className="num">{prices(row.take_profit_prices)}</td>
              <td>{utcTime(row.opened_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
