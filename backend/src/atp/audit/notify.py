"""Tell the operator when the audit FAILS: one Telegram message through the outbox.

`atp audit --notify-on-fail` (the daily timer in deploy/) calls this after a stored run. The
message goes through the same outbox and sender as every alert (durable, paced, recorded in the
ledger), to the ops chat when TELEGRAM_CHAT_ID_OPS is set. One message per audit run: the
idempotency key is the run id, so a retried command never sends the same failure twice.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from atp.alerts.models import TelegramMessage
from atp.alerts.outbox import MessageKind, chat_for, enqueue_alert
from atp.alerts.text import escape, fit_telegram_limit
from atp.audit.types import FAIL, AuditResult
from atp.settings import Settings

MAX_LISTED = 8  # failing checks / root causes named in the message; the report has the rest


def audit_failure_key(result: AuditResult) -> str:
    run = result.run_id if result.run_id is not None else result.generated_at.isoformat()
    return f"audit-failed:{run}"


def format_audit_failure(result: AuditResult) -> str:
    """HTML text: what failed, the first causes and their fixes, and where to look next."""
    lines = [
        f"🔴 <b>Audit FAIL</b> (run {escape(result.run_id or '-')}, {escape(result.mode)}, "
        f"last {result.since_hours:g} h)"
    ]
    failed = [c for c in result.checks if c.status == FAIL]
    for check in failed[:MAX_LISTED]:
        code = f" [{escape(check.code)}]" if check.code else ""
        lines.append(f"• {escape(check.name)}: {escape(check.summary)}{code}")
        if check.fix:
            lines.append(f"  fix: {escape(check.fix)}")
    for cause in result.root_causes[:MAX_LISTED]:
        lines.append(
            f"• {escape(cause.kind)} cause {escape(cause.code)} on {cause.count} symbol(s)"
            + (f": {escape(cause.fix)}" if cause.fix else "")
        )
    lines.append("Run <code>atp audit</code> for the full report (docs/runbooks/no-alerts.md).")
    text, _trimmed = fit_telegram_limit("\n".join(lines))
    return text


def notify_audit_failure(
    session: Session, settings: Settings, result: AuditResult
) -> TelegramMessage | None:
    """Queue the failure message when the audit FAILED (None for PASS / WARN). No commit."""
    if result.global_status != FAIL:
        return None
    key = audit_failure_key(result)
    return enqueue_alert(
        session,
        idempotency_key=key,
        kind=MessageKind.AUDIT_FAILED,
        symbol=None,
        side=None,
        text=format_audit_failure(result),
        chat_id=chat_for(MessageKind.AUDIT_FAILED, settings),
        correlation_id=key,
        context={
            "run_id": result.run_id,
            "failed_checks": [c.name for c in result.checks if c.status == FAIL],
            "critical": True,
        },
    )
