"use client";
// Orders: open entries with their protection, protection per position, fills with P&L, history.
import { FillHistory } from "@/components/orders/FillHistory";
import { OpenEntries } from "@/components/orders/OpenEntries";
import { OrderHistory } from "@/components/orders/OrderHistory";
import { ProtectionTable } from "@/components/orders/ProtectionTable";
import { useFills, useOpenOrders, useOrderHistory, useProtection } from "@/components/orders/queries";
import { Card, Page } from "@/components/Page";
import { PagerControls } from "@/components/shared/PagerControls";
import { usePager } from "@/components/shared/usePager";
import { Empty, QueryState } from "@/components/States";
import "@/components/shared/pages.css";

export default function OrdersPage() {
  const open = useOpenOrders();
  const protection = useProtection();
  const fillPager = usePager();
  const fills = useFills(fillPager.cursor);
  const historyPager = usePager();
  const history = useOrderHistory(historyPager.cursor);
  return (
    <Page title="Orders" subtitle="Entries, their stop-loss / take-profit protection and what each fill made. Refreshes every few seconds.">
      <Card title="Protection of open positions" testId="orders-protection">
        <QueryState query={protection} what="protection">
          {(page) =>
            page.items.length ? (
              <ProtectionTable rows={page.items} />
            ) : (
              <Empty title="No open position">A position opens when an entry fills; its stop-loss and take-profit are listed here.</Empty>
            )
          }
        </QueryState>
      </Card>
      <Card title="Open entries" testId="orders-open">
        <QueryState query={open} what="open entries">
          {(page) =>
            page.intents.length ? (
              <OpenEntries intents={page.intents} orders={page.items} />
            ) : (
              <Empty title="No entry in flight">Entries appear here from the moment an alert creates an order until their position closes.</Empty>
            )
          }
        </QueryState>
      </Card>
      <Card title="Fills and realised P&L" testId="orders-fills">
        <QueryState query={fills} what="fills">
          {(page) => (
            <>
              {page.items.length ? <FillHistory fills={page.items} /> : <Empty title="No fill yet">Fills are recorded as the exchange (or the paper broker) executes orders.</Empty>}
              <PagerControls pager={fillPager} nextCursor={page.next_cursor} label="Fills" />
            </>
          )}
        </QueryState>
      </Card>
      <Card title="Order history" testId="orders-history">
        <QueryState query={history} what="order history">
          {(page) => (
            <>
              {page.items.length ? <OrderHistory orders={page.items} /> : <Empty title="No order yet">Every order sent to the exchange is listed here, newest first.</Empty>}
              <PagerControls pager={historyPager} nextCursor={page.next_cursor} label="Order history" />
            </>
          )}
        </QueryState>
      </Card>
    </Page>
  );
}
