// Open positions valued at their mark, with unrealised P&L and how much the stops cover.
import { ProtectionBadge } from "@/components/orders/ProtectionBadge";
import { Pnl } from "@/components/shared/Pnl";
import { SymbolLink } from "@/components/shared/SymbolLink";
import type { Schemas } from "@/lib/api/client";
import { age } from "@/lib/format";
import { coveragePercent, formatQuantity, sumDecimals } from "@/lib/money";

type Position = Schemas["PositionOut"];

function Coverage({ position }: { position: Position }) {
  const percent = coveragePercent(position.stop_quantity, position.quantity);
  if (percent === null) return <span className="muted">–</span>;
  const stops = position.stop_prices.map((p) => formatQuantity(p)).join(", ");
  return (
    <span className={percent < 100 ? "bad" : undefined} title={stops ? `stops at ${stops}` : "no working stop"}>
      {percent}%{stops ? <span className="muted small"> @ {stops}</span> : null}
    </span>
  );
}

export function PositionsTable({ positions }: { positions: Position[] }) {
  const unrealised = sumDecimals(positions.map((p) => p.unrealised_pnl));
  const realised = sumDecimals(positions.map((p) => p.realised_pnl));
  return (
    <div className="table-wrap">
      <table data-testid="positions-table">
        <thead>
          <tr>
            <th>Symbol</th>
            <th className="num">Quantity</th>
            <th className="num">Entry (avg)</th>
            <th className="num">Mark</th>
            <th className="num">Unrealised P&amp;L</th>
            <th className="num">Realised</th>
            <th>Protection</th>
            <th>Stop covers</th>
          </tr>
        </thead>
        <tbody>
          {positions.map((p) => (
            <tr key={p.id}>
              <td>
                <SymbolLink symbol={p.symbol} />
              </td>
              <td className="num">{formatQuantity(p.quantity)}</td>
              <td className="num">{formatQuantity(p.avg_entry_price)}</td>
              <td className="num">
                {p.mark === null ? <span className="bad">no price</span> : formatQuantity(p.mark)}
                {p.mark_age_s !== null ? <span className="muted small"> ({age(p.mark_age_s)})</span> : null}
              </td>
              <td className="num">
                <Pnl value={p.unrealised_pnl} />
              </td>
              <td className="num">
                <Pnl value={p.realised_pnl} />
              </td>
              <td>
                <ProtectionBadge status={p.protection_status} />
              </td>
              <td>
                <Coverage position={p} />
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th colSpan={4}>Total (USD)</th>
            <th className="num">
              <Pnl value={unrealised} />
            </th>
            <th className="num">
              <Pnl value={realised} />
            </th>
            <th colSpan={2} />
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
