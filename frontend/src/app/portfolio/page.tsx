"use client";
// Portfolio: what the money is doing - balances, open positions at their mark, protection.
import { Card, Page } from "@/components/Page";
import { BalancesTable } from "@/components/portfolio/BalancesTable";
import { PositionsTable } from "@/components/portfolio/PositionsTable";
import { useBalances, usePositions } from "@/components/portfolio/queries";
import { Empty, QueryState } from "@/components/States";
import "@/components/shared/pages.css";

export default function PortfolioPage() {
  const balances = useBalances();
  const positions = usePositions();
  return (
    <Page title="Portfolio" subtitle="Balances and open positions valued at the last price. Refreshes every few seconds.">
      <Card title="Open positions" testId="portfolio-positions">
        <QueryState query={positions} what="positions">
          {(page) =>
            page.items.length ? (
              <PositionsTable positions={page.items} />
            ) : (
              <Empty title="No open position">Positions open when an entry fills and close with their stop-loss, take-profit or a sell.</Empty>
            )
          }
        </QueryState>
      </Card>
      <Card title="Balances" testId="portfolio-balances">
        <QueryState query={balances} what="balances">
          {(data) => (
            <>
              <p className="muted small">
                Source: <strong>{data.source}</strong>
              </p>
              <BalancesTable balances={data} />
            </>
          )}
        </QueryState>
      </Card>
    </Page>
  );
}
