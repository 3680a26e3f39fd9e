"""CLI for the alerts area: `atp sender`, `atp alerts ...`, `atp telegram status`."""

from __future__ import annotations

import asyncio

import click

from atp.alerts.gating import telegram_status
from atp.alerts.outbox import MessageStatus
from atp.alerts.probe import queue_test_message
from atp.alerts.retention import purge_ledger
from atp.alerts.text import to_plain_text
from atp.cli.common import fail, get_context, guard_schema
from atp.db.base import utcnow
from atp.ops.message_pages import MessageFilter, message_page
from atp.runtime.sender import run_sender
from atp.workers.runner import install_stop_signals


@click.command()
@click.option("--once", is_flag=True, help="Drain what is due now, then exit.")
def sender(once: bool) -> None:
    """Deliver queued alerts (Telegram, or the console in the embedded default)."""
    app = get_context()
    guard_schema(app)

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        stats = await run_sender(app, stop, once=once)
        if once and stats.standby:
            click.echo("sender: standby (another sender holds the lock); nothing sent")
        elif once:
            click.echo(
                f"sent={stats.sent} retried={stats.retried} failed={stats.failed} "
                f"expired={stats.expired} blocked={stats.blocked}"
            )

    asyncio.run(main())


@click.group()
def alerts() -> None:
    """The alert ledger (`telegram_messages`)."""


@alerts.command("retention")
@click.option(
    "--days", type=click.IntRange(min=1), default=None, help="Default: TELEGRAM_RETENTION_DAYS."
)
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def retention(days: int | None, dry_run: bool) -> None:
    """Delete final ledger rows older than the retention period."""
    app = get_context()
    guard_schema(app)
    keep = days or app.settings.telegram_retention_days
    result = purge_ledger(app.sessions, utcnow(), keep, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{verb} {result.deleted} rows created before {result.cutoff:%Y-%m-%d %H:%M} UTC")


@alerts.command("test")
@click.option("--note", default="", help="Extra line in the message.")
def send_test(note: str) -> None:
    """Queue a test message for the sender (shows the whole path works)."""
    app = get_context()
    guard_schema(app)
    with app.sessions.begin() as session:
        message_id = queue_test_message(session, app.settings, utcnow(), note=note)
    status = telegram_status(app.settings)
    click.echo(f"queued message {message_id}; telegram: {status.describe()}")


@alerts.command("list")
@click.option("--status", "status_filter", type=click.Choice([s.value for s in MessageStatus]))
@click.option("--symbol", help="only this symbol, e.g. BTC_USDT")
@click.option("--reason", "reason_prefix", help="reason code prefix, e.g. THROTTLED")
@click.option("--limit", type=click.IntRange(1, 500), default=20)
def list_messages(
    status_filter: str | None, symbol: str | None, reason_prefix: str | None, limit: int
) -> None:
    """Show the newest ledger rows (the same query as GET /api/telegram/messages)."""
    app = get_context()
    guard_schema(app)
    filters = MessageFilter(status=status_filter, symbol=symbol, reason_prefix=reason_prefix)
    with app.sessions() as session:
        messages, _ = message_page(session, filters, limit=limit, before_id=None)
    for m in messages:
        first_line = to_plain_text(m.text).splitlines()[0][:60] if m.text else ""
        click.echo(
            f"{m.id:>7} {m.created_at:%Y-%m-%d %H:%M:%S} {m.status:<8} {m.kind:<17} "
            f"{m.symbol or '-':<12} {m.reason_code or '-'} | {first_line}"
        )


@click.group()
def telegram() -> None:
    """Telegram configuration."""


@telegram.command("status")
@click.option("--check", is_flag=True, help="Exit 2 unless real Telegram sending is enabled.")
def status_command(check: bool) -> None:
    """Print the gating result: enabled, or blocked with every reason."""
    app = get_context()
    # A database that cannot be read is an error (exit 2/3 from the guard), never a quiet 0.
    with app.sessions() as session:
        status = telegram_status(app.settings, session)
    click.echo(f"telegram: {status.describe()}")
    if status.reason_code:
        click.echo(f"ledger reason: {status.reason_code}")
    if check and not status.enabled:
        fail("Telegram sending is not enabled", code=2)


commands: list[click.Command] = [sender, alerts, telegram]
