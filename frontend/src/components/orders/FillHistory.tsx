// The fill ledger: what each fill made (realised P&L, net of valued fees), newest first.
import { Pnl } from "@/components/shared/Pnl";
import { SymbolLink } from "@/components/shared/SymbolLink";
import type { Schemas } from "@/lib/api/client";
import { formatQuantity, utcTime } from "@/lib/money";

function roleLabel(role: string | null): string {
  return role ? role.replace("_", " ").toLowerCase() : "unknown order";
}

export function FillHistory({ fills }: { fills: Schemas["FillOut"][] }) {
  return (
    <div className="table-wrap">
      <table data-testid="fill-history">
        <thead>
          <tr>
            <th>Traded</th>
            <th>Symbol</th>
            <th>Fill of</th>
            <th>Side</th>
            <th className="num">Quantity</th>
            <th className="num">Price</th>
            <th className="num">Fee</th>
            <th className="num">Realised P&amp;L</th>
          </tr>
        </thead>
        <tbody>
          {fills.map((fill) => (
            <tr key={fill.id}>
              <td>{utcTime(fill.traded_at)}</td>
              <td>
                <SymbolLink symbol={fill.symbol} />
              </td>
              <td>
                {roleLabel(fill.role)}
                {fill.closed_position ? <span className="muted small"> (closed the position)</span> : null}
              </td>
              <td>{fill.side}</td>
              <td className="num">{formatQuantity(fill.quantity)}</td>
              <td className="num">{formatQuantity(fill.price)}</td>
              <td className="num">
                {formatQuantity(fill.fee)} <span className="muted small">{fill.fee_currency}</span>
              </td>
              <td className="num">{fill.closed_position || fill.realised_pnl !== "0" ? <Pnl value={fill.realised_pnl} /> : <span className="muted">–</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
