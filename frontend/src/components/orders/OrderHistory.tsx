// Every exchange order, newest first: entries and their protection legs with their outcome.
import { SymbolLink } from "@/components/shared/SymbolLink";
import type { Schemas } from "@/lib/api/client";
import { formatQuantity, utcTime } from "@/lib/money";

export function OrderHistory({ orders }: { orders: Schemas["OrderOut"][] }) {
  return (
    <div className="table-wrap">
      <table data-testid="order-history">
        <thead>
          <tr>
            <th>Created</th>
            <th>Symbol</th>
            <th>Role</th>
            <th>Side</th>
            <th>Type</th>
            <th>Status</th>
            <th className="num">Quantity</th>
            <th className="num">Filled</th>
            <th className="num">Price</th>
            <th>Note</th>
          </tr>
        </thead>
        <tbody>
          {orders.map((order) => (
            <tr key={order.id}>
              <td>{utcTime(order.created_at)}</td>
              <td>
                <SymbolLink symbol={order.symbol} />
              </td>
              <td>{order.role ?? "foreign"}</td>
              <td>{order.side}</td>
              <td>{order.order_type}</td>
              <td>{order.status}</td>
              <td className="num">{formatQuantity(order.quantity)}</td>
              <td className="num">{formatQuantity(order.filled_quantity)}</td>
              <td className="num">{formatQuantity(order.avg_price ?? order.limit_price ?? order.trigger_price)}</td>
              <td className="small">{order.reject_reason ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
