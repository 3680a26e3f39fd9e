// The alert ledger: one row per alert or notice with its delivery status and, when it was not
// sent, the reason in the platform's own words.
import { StatusPill } from "@/components/StatusPill";
import { SymbolLink } from "@/components/shared/SymbolLink";
import type { Schemas } from "@/lib/api/client";
import { utcTime } from "@/lib/money";

const STATUS_TONE: Record<string, string> = { SENT: "PASS", BLOCKED: "FAIL", FAILED: "FAIL", EXPIRED: "WARN", PENDING: "WARN", SENDING: "WARN" };

/** The message as plain text (the ledger stores Telegram HTML). */
export function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

export function MessageTable({ messages }: { messages: Schemas["MessageOut"][] }) {
  return (
    <div className="table-wrap">
      <table data-testid="message-table">
        <thead>
          <tr>
            <th>Created</th>
            <th>Kind</th>
            <th>Symbol</th>
            <th>Side</th>
            <th>Status</th>
            <th>Reason</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          {messages.map((m) => {
            const text = plainText(m.text);
            return (
              <tr key={m.id}>
                <td>{utcTime(m.created_at)}</td>
                <td className="small">{m.kind.replaceAll("_", " ").toLowerCase()}</td>
                <td>{m.symbol ? <SymbolLink symbol={m.symbol} /> : <span className="muted">–</span>}</td>
                <td>{m.side ?? <span className="muted">–</span>}</td>
                <td>
                  <StatusPill status={STATUS_TONE[m.status] ?? m.status} label={m.status.toLowerCase()} />
                  {m.channel ? <span className="muted small"> {m.channel}</span> : null}
                </td>
                <td className="wrap reason-cell">
                  {m.reason_code ? <code>{m.reason_code}</code> : <span className="muted">–</span>}
                  {m.reason_message ? <div className="muted small">{m.reason_message}</div> : null}
                  {m.last_error ? <div className="bad small">{m.last_error}</div> : null}
                </td>
                <td className="wrap message-cell" title={text}>
                  {text.length > 140 ? `${text.slice(0, 140)}…` : text}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
