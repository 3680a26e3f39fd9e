"""`atp audit`: why were there no alerts / no trades? Global checks and the first cause per symbol.

Exit codes: 0 PASS (or WARN), 1 FAIL, 2 the audit cannot run (no database, empty or old schema,
bad arguments). The same command runs behind `backend/scripts/audit_no_alerts_no_trades.py`
(cron), which passes the hidden `--source cron`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from atp.cli.common import get_context

if TYPE_CHECKING:
    from atp.audit.types import AuditResult
    from atp.runtime.context import AppContext

DEFAULT_OUTPUT = "docs/reports/no-alerts-no-trades-audit.md"
EXIT_CANNOT_RUN = 2


@click.command("audit")
@click.option("--since-hours", type=float, default=168.0, show_default=True, help="Window length.")
@click.option(
    "--symbols", default=None, help="Comma list, e.g. ETH_USDT,BTC_USD (default: the watchlist)."
)
@click.option(
    "--mode",
    type=click.Choice(["dry", "live"]),
    default="dry",
    show_default=True,
    help="live also authenticates against the exchange (one balance read); dry never calls it.",
)
@click.option("--output", default=DEFAULT_OUTPUT, show_default=True, help="Markdown report path.")
@click.option("--json", "json_path", default=None, help="Also write the JSON report to this file.")
@click.option(
    "--notify-on-fail",
    is_flag=True,
    help="On FAIL, queue a Telegram message to the ops chat (sent by `atp sender`).",
)
@click.option("--source", type=click.Choice(["cli", "cron"]), default="cli", hidden=True)
def audit(
    since_hours: float,
    symbols: str | None,
    mode: str,
    output: str,
    json_path: str | None,
    notify_on_fail: bool,
    source: str,
) -> None:
    """Audit the last --since-hours: global PASS/FAIL, per-symbol causes, fixes (stored)."""
    from atp.audit.report import to_json, to_markdown
    from atp.audit.service import parse_symbols, require_head, run_audit
    from atp.audit.types import AuditCannotRun
    from atp.cli.guard import DatabaseMissingError, database_status
    from atp.runtime.broker import probe_broker
    from atp.watchlist.fields import InvalidValueError

    app = get_context()
    try:
        wanted = parse_symbols(symbols)
        # Read without creating or changing anything (a missing SQLite file stays missing).
        require_head(database_status(app))
        result = run_audit(
            app.sessions,
            app.settings,
            since_hours=since_hours,
            symbols=wanted,
            mode=mode,
            source=source,
            probe_broker=lambda: probe_broker(app.settings, app.sessions),
        )
    except (AuditCannotRun, DatabaseMissingError, InvalidValueError, ValueError) as exc:
        click.echo(f"audit cannot run: {exc}", err=True)
        raise SystemExit(EXIT_CANNOT_RUN) from None
    markdown = to_markdown(result)
    _write(output, markdown)
    if json_path:
        _write(json_path, to_json(result) + "\n")
    for line in _console_summary(result):
        click.echo(line)
    click.echo(f"report: {output}" + (f" json: {json_path}" if json_path else ""))
    if notify_on_fail:
        _notify(app, result)
    raise SystemExit(result.exit_code)


def _notify(app: AppContext, result: AuditResult) -> None:
    from atp.audit.notify import notify_audit_failure
    from atp.db.session import unit_of_work

    with unit_of_work(app.sessions) as session:
        message = notify_audit_failure(session, app.settings, result)
        message_id = None if message is None else message.id
    if message_id is not None:
        click.echo(f"audit FAIL: Telegram message {message_id} queued (delivered by `atp sender`)")


def _write(path: str, text: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def _console_summary(result: object) -> list[str]:
    from atp.audit.types import AuditResult

    assert isinstance(result, AuditResult)
    lines = [f"GLOBAL STATUS: {result.global_status} (run {result.run_id}, mode {result.mode})"]
    lines += [
        f"  {c.status:4} {c.name}: {c.summary}" + (f" [{c.code}]" if c.code else "")
        for c in result.checks
    ]
    for s in result.symbols:
        lines.append(
            f"  {s.symbol}: alert {s.alert.status} ({s.alert.cause or '-'}), "
            f"trade {s.trade.status} ({s.trade.cause or '-'})"
        )
    return lines


commands: list[click.Command] = [audit]
