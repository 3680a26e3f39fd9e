// Entries in flight or holding a position, each with its announced / placed stop-loss and
// take-profit and the protection legs still working on the exchange.
import { StatusPill } from "@/components/StatusPill";
import { SymbolLink } from "@/components/shared/SymbolLink";
import type { Schemas } from "@/lib/api/client";
import { formatDecimal, formatQuantity, utcTime } from "@/lib/money";

type Order = Schemas["OrderOut"];

function legsOf(intentId: number, orders: Order[]): string {
  const legs = orders.filter((o) => o.intent_id === intentId && o.role !== "ENTRY");
  if (legs.length === 0) return "none working";
  return legs.map((o) => `${(o.role ?? o.order_type).replace("_", " ").toLowerCase()} @ ${formatQuantity(o.trigger_price ?? o.limit_price)}`).join(" · ");
}

export function OpenEntries({ intents, orders }: { intents: Schemas["IntentOut"][]; orders: Order[] }) {
  return (
    <div className="table-wrap">
      <table data-testid="open-entries">
        <thead>
          <tr>
            <th>Created</th>
            <th>Symbol</th>
            <th>Side</th>
            <th>Status</th>
            <th className="num">Amount USD</th>
            <th className="num">Filled @ avg</th>
            <th className="num">Stop-loss</th>
            <th className="num">Take-profit</th>
            <th>Working legs</th>
          </tr>
        </thead>
        <tbody>
          {intents.map((intent) => (
            <tr key={intent.id}>
              <td>{utcTime(intent.created_at)}</td>
              <td>
                <SymbolLink symbol={intent.symbol} />
              </td>
              <td>
                <StatusPill status={intent.side} />
              </td>
              <td title={intent.reason ?? undefined}>{intent.status}</td>
              <td className="num">{formatDecimal(intent.amount_usd)}</td>
              <td className="num">
                {formatQuantity(intent.filled_quantity)} @ {formatQuantity(intent.avg_fill_price)}
              </td>
              <td className="num">{formatQuantity(intent.sl_price)}</td>
              <td className="num">{formatQuantity(intent.tp_price)}</td>
              <td className="small">
                {legsOf(intent.id, orders)}
                {intent.protection_mode ? <span className="muted"> ({intent.protection_mode})</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
