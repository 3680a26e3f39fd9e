import { Card } from "@/components/Page";
import { Empty } from "@/components/States";
import type { Schemas } from "@/lib/api/client";
import { ageSince } from "@/lib/format";

const BLOCKS: Record<string, string> = {
  alert: "no alert and no order goes out",
  trade: "alerts go out, no order is placed",
};

export function BlockersCard({ blockers }: { blockers: Schemas["BlockerOut"][] }) {
  return (
    <Card title="Global blockers" testId="blockers">
      {blockers.length === 0 ? (
        <Empty title="No global blockers">Alerts and orders are not held back by anything platform-wide.</Empty>
      ) : (
        <ul className="plain">
          {blockers.map((blocker) => (
            <li key={blocker.code} className="blocker">
              <div>
                <strong>{blocker.message}</strong>{" "}
                <span className="muted">
                  ({blocker.blocks ? BLOCKS[blocker.blocks] ?? blocker.blocks : "informational"}
                  {blocker.since ? `, since ${ageSince(blocker.since)}` : ""}; <code>{blocker.code}</code>)
                </span>
              </div>
              <div className="fix">
                <span className="fix-label">Fix:</span> {blocker.fix}
              </div>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
