// Balances: total, reserved by open orders and free, per currency.
import { Empty } from "@/components/States";
import type { Schemas } from "@/lib/api/client";
import { formatQuantity, utcTime } from "@/lib/money";

export function BalancesTable({ balances }: { balances: Schemas["BalancesOut"] }) {
  if (!balances.available) {
    return <Empty title="Balances are not available here">{balances.detail ?? "The server did not say why."}</Empty>;
  }
  if (balances.balances.length === 0) return <Empty title="No balance">The {balances.source} account holds nothing yet.</Empty>;
  return (
    <div className="table-wrap">
      <table data-testid="balances-table">
        <thead>
          <tr>
            <th>Currency</th>
            <th className="num">Total</th>
            <th className="num">Reserved</th>
            <th className="num">Free</th>
            <th>Updated</th>
          </tr>
        </thead>
        <tbody>
          {balances.balances.map((b) => (
            <tr key={b.currency}>
              <td>
                <strong>{b.currency}</strong>
              </td>
              <td className="num">{formatQuantity(b.total)}</td>
              <td className="num">{formatQuantity(b.reserved)}</td>
              <td className="num">{formatQuantity(b.free)}</td>
              <td className="muted">{b.updated_at ? utcTime(b.updated_at) : "start balance"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
