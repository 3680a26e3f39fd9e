"use client";
// Global blockers on every page: while one is active no alert (or no order) goes out.
import Link from "next/link";

import { useControlStatus } from "@/lib/queries";

export function BlockerBanner() {
  const status = useControlStatus();
  const blockers = status.data?.blockers ?? [];
  if (status.error && !status.data) {
    return (
      <div className="banner banner-bad" role="alert">
        Cannot read the platform status: the API does not answer. Is <code>atp run</code> running?
      </div>
    );
  }
  if (blockers.length === 0) return null;
  return (
    <div className="banner banner-bad" role="alert" data-testid="blocker-banner">
      <strong>
        {blockers.length === 1 ? "1 global blocker" : `${blockers.length} global blockers`}: alerts or orders are held back.
      </strong>
      <ul>
        {blockers.map((blocker) => (
          <li key={blocker.code}>
            <code>{blocker.code}</code> {blocker.message ?? ""}
          </li>
        ))}
      </ul>
      <Link href="/">How to fix it: see the Overview</Link>
    </div>
  );
}
