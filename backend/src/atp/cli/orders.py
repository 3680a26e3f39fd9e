"""`atp sync`: the order worker (entry -> protection, reconcile, guardian); one active instance.

`atp orders` and `atp positions`: what the money is doing (read-only, atp.orders.views).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import click

from atp.cli.common import fail, get_context, guard_schema

if TYPE_CHECKING:
    from atp.orders.views import IntentView, OrderView, PositionsView


@click.command("sync")
@click.option(
    "--once",
    is_flag=True,
    help="Run one pass and exit (same leader rules: a standby exits without doing anything).",
)
def sync(once: bool) -> None:
    """Run the order worker every ORDERS_SYNC_INTERVAL_SECONDS: order flow, sync, guardian."""
    app = get_context()
    guard_schema(app)
    from atp.orders.service import OrderWorker
    from atp.runtime.broker import LiveTradingRefused, build_broker
    from atp.workers.runner import STANDBY, install_stop_signals

    try:
        broker = build_broker(app.settings, app.sessions)
    except LiveTradingRefused as exc:
        fail(str(exc), code=2)
    worker = OrderWorker(app, broker)

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        await worker.run(stop, once=once)

    asyncio.run(main())
    if once:
        last = worker.last
        if last is None or last.state == STANDBY:
            click.echo("sync: standby (another instance holds the orders lock); nothing done")
            return
        problem = last.auth_error or last.error
        click.echo(
            f"sync: broker={broker.name} flow={last.flow} new_fills={last.new_fills} "
            f"repaired={last.repaired} unprotected={last.unprotected} orphans={len(last.orphans)}"
            + (f" error={problem}" if problem else "")
        )


@click.command("orders")
@click.option("--history", is_flag=True, help="Every order, newest first (paged).")
@click.option(
    "--limit", type=click.IntRange(1, 500), default=50, show_default=True, help="Page size."
)
@click.option("--before", "before_id", type=click.IntRange(min=1), help="Page cursor (an ID).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")
def orders(history: bool, limit: int, before_id: int | None, as_json: bool) -> None:
    """Working orders and intents in flight; with --history every order, newest first."""
    from atp.orders.views import open_orders_view, order_history_view, to_jsonable

    if before_id is not None and not history:
        raise click.UsageError("--before pages the history: use it with --history")
    app = get_context()
    with app.sessions() as session:
        if history:
            page = order_history_view(session, limit=limit, before_id=before_id)
        else:
            current = open_orders_view(session)
    if as_json:
        click.echo(json.dumps(to_jsonable(page if history else current), indent=2))
    elif history:
        _echo_orders("ORDER HISTORY (newest first)", page.orders)
        if page.next_before_id is not None:
            click.echo(f"more: atp orders --history --limit {limit} --before {page.next_before_id}")
    else:
        _echo_orders("OPEN ORDERS", current.orders)
        click.echo()
        _echo_intents(current.intents)


@click.command("positions")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")
def positions(as_json: bool) -> None:
    """Open positions at their mark: unrealised and realised P&L, fees, protection."""
    from atp.db.base import utcnow
    from atp.orders.views import positions_view, to_jsonable

    app = get_context()
    with app.sessions() as session:
        view = positions_view(session, utcnow())
    if as_json:
        click.echo(json.dumps(to_jsonable(view), indent=2))
    else:
        _echo_positions(view)


def _echo_orders(title: str, rows: Sequence[OrderView]) -> None:
    click.echo(f"{title}: {len(rows)}")
    headers = ["ID", "SYMBOL", "ROLE", "SIDE", "TYPE", "STATUS", "QTY", "FILLED", "AVG"]
    headers += ["LIMIT", "TRIGGER", "INTENT", "CREATED"]
    table = [
        [
            str(o.id),
            o.symbol,
            o.role or "(foreign)",
            o.side,
            o.order_type,
            o.status,
            _num(o.quantity),
            _num(o.filled_quantity),
            _num(o.avg_price),
            _num(o.limit_price),
            _num(o.trigger_price),
            f"{o.intent_id} {o.intent_status}" if o.intent_id is not None else "-",
            _time(o.created_at),
        ]
        for o in rows
    ]
    _echo_table(headers, table)


def _echo_intents(rows: Sequence[IntentView]) -> None:
    click.echo(f"INTENTS IN FLIGHT OR HOLDING A POSITION: {len(rows)}")
    headers = ["ID", "SYMBOL", "SIDE", "STATUS", "USD", "FILLED", "AVG", "SL", "TP", "MODE"]
    headers.append("REASON")
    table = [
        [
            str(i.id),
            i.symbol,
            i.side,
            i.status,
            _num(i.amount_usd),
            _num(i.filled_quantity),
            _num(i.avg_fill_price),
            _num(i.sl_price),
            _num(i.tp_price),
            i.protection_mode or "-",
            i.reason or "-",
        ]
        for i in rows
    ]
    _echo_table(headers, table)


def _echo_positions(view: PositionsView) -> None:
    click.echo(f"OPEN POSITIONS: {len(view.positions)}")
    headers = ["SYMBOL", "QTY", "AVG_ENTRY", "MARK", "MARK_AGE", "UNREALISED", "REALISED"]
    headers += ["FEES", "PROTECTION", "STOP", "STOP_QTY"]
    table = [
        [
            p.symbol,
            _num(p.quantity),
            _num(p.avg_entry_price),
            _num(p.mark),
            "-" if p.mark_age_s is None else f"{p.mark_age_s:.0f}s",
            _num(p.unrealised_pnl, signed=True),
            _num(p.realised_pnl, signed=True),
            _num(p.fees_paid),
            p.protection_status.upper() if p.protection_status == "naked" else p.protection_status,
            ",".join(_num(s) for s in p.stop_prices) or "-",
            _num(p.stop_quantity),
        ]
        for p in view.positions
    ]
    _echo_table(headers, table)
    unmarked = f" (no price for {', '.join(view.unmarked)})" if view.unmarked else ""
    click.echo(
        f"total: unrealised={_num(view.unrealised_total, signed=True)}{unmarked} "
        f"realised={_num(view.realised_total, signed=True)}"
    )
    for symbol in view.naked:
        click.echo(
            f'!!! NAKED: {symbol} has NO confirmed stop-loss (docs/runbook.md, "Naked position")'
        )


def _echo_table(headers: list[str], rows: list[list[str]]) -> None:
    if not rows:
        click.echo("  (none)")
        return
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _num(value: Decimal | None, *, signed: bool = False) -> str:
    from atp.orders.views import plain

    if value is None:
        return "-"
    text = plain(value)
    return f"+{text}" if signed and value > 0 else text


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


commands: list[click.Command] = [sync, orders, positions]
