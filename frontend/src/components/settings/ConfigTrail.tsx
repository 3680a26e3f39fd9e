"use client";
// The config-change trail: who changed what, from which surface, old and new value.
import { Card } from "@/components/Page";
import { PagerControls } from "@/components/shared/PagerControls";
import { usePager } from "@/components/shared/usePager";
import { Empty, QueryState } from "@/components/States";
import { utcTime } from "@/lib/money";

import { useConfigChanges } from "./queries";

/** A trail value in one readable line: objects as `key=value` pairs (the full JSON is the
 *  cell's tooltip; long values are clipped to two lines). */
export function show(value: unknown): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "string") return value;
  if (typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>)
      .map(([key, inner]) => `${key}=${typeof inner === "string" ? inner : JSON.stringify(inner)}`)
      .join(" ");
  }
  return JSON.stringify(value);
}

export function ConfigTrail() {
  const pager = usePager();
  const changes = useConfigChanges(pager.cursor);
  return (
    <Card title="Config-change trail" testId="settings-trail">
      <QueryState query={changes} what="the config-change trail">
        {(page) => (
          <>
            {page.items.length ? (
              <div className="table-wrap">
                <table data-testid="config-trail">
                  <thead>
                    <tr>
                      <th>When</th>
                      <th>Source</th>
                      <th>What</th>
                      <th>Field</th>
                      <th>Old</th>
                      <th>New</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((c) => (
                      <tr key={c.id}>
                        <td>{utcTime(c.changed_at)}</td>
                        <td>
                          {c.source}
                          {c.actor && c.actor !== c.source ? <span className="muted small"> {c.actor}</span> : null}
                        </td>
                        <td>
                          {c.entity} <code>{c.entity_key}</code>
                        </td>
                        <td>{c.field}</td>
                        <td className="wrap trail-value" title={JSON.stringify(c.old_value)}>
                          <span className="clamp">{show(c.old_value)}</span>
                        </td>
                        <td className="wrap trail-value" title={JSON.stringify(c.new_value)}>
                          <span className="clamp">{show(c.new_value)}</span>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : (
              <Empty title="No change recorded yet">Every change from the CLI, the API, Telegram or the system lands here.</Empty>
            )}
            <PagerControls pager={pager} nextCursor={page.next_cursor} label="Config changes" />
          </>
        )}
      </QueryState>
    </Card>
  );
}
