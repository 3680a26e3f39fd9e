"""`atp monitor`: the signal monitor process (one leader; extra instances are hot standbys)."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from atp.cli.common import fail, get_context, guard_schema


@click.command("monitor")
@click.option(
    "--once",
    is_flag=True,
    help="Run one tick and exit (same leader rules: a standby exits without evaluating).",
)
def monitor(once: bool) -> None:
    """Run the signal monitor: evaluate the watchlist every MONITOR_INTERVAL_SECONDS."""
    app = get_context()
    guard_schema(app)
    from atp.monitor.worker import STANDBY, MonitorWorker
    from atp.runtime.runner import install_stop_signals

    worker = MonitorWorker(app)

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        await worker.run(stop, once=once)

    asyncio.run(main())
    if once:
        report = worker.last_report
        if worker.last_state == STANDBY:
            click.echo("monitor: standby (another instance holds the leader lock); nothing done")
        elif report is None:
            click.echo(f"monitor: leader, {worker.last_state}; see the [GLOBAL_BLOCKER] lines")
        else:
            click.echo(f"monitor: cycle {worker.cycle} {report.summary()}")


@click.command("why")
@click.argument("symbol")
@click.option("--json", "as_json", is_flag=True, help="Print the full JSON (as the API returns).")
def why(symbol: str, as_json: bool) -> None:
    """Why is there (no) alert / trade for SYMBOL right now? A dry run: sends and stores nothing."""
    import json

    from atp.monitor import service
    from atp.watchlist.fields import InvalidValueError

    app = get_context()
    try:
        with app.sessions() as session:
            result = service.evaluate_signal(session, app.settings, symbol)
    except (InvalidValueError, service.UnknownSymbolError) as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
        return
    for line in _explanation_lines(result):
        click.echo(line)


def _explanation_lines(result: dict[str, Any]) -> list[str]:
    # Global causes first: they decide before any of the symbol's own gates.
    lines = [
        f"[GLOBAL_BLOCKER] {cause['code']}: {cause['message']}"
        for cause in result.get("global_causes", [])
    ]
    lines += [
        f"{result['symbol']} {result['strategy_key'] or '-'} side={result['side']} "
        f"price={result['price'] or '-'} decision={result['decision_reason'] or '-'}"
    ]
    for cond in result["conditions"] or []:
        mark = "ok " if cond["passed"] else "no "
        lines.append(
            f"  {mark}{cond['side']} {cond['name']}: {_num(cond['actual'])} vs {_num(cond['threshold'])}"
        )
    for kind in ("alert_gates", "trade_gates"):
        for gate in result[kind]:
            state = {True: "pass", False: "BLOCK", None: "  - "}[gate["passed"]]
            lines.append(f"  [{state}] {gate['gate']} {gate['detail']}".rstrip())
    alert, trade = result["alert"], result["trade"]
    lines.append("alert: would send" if alert["would_send"] else f"alert: none ({alert['reason']})")
    lines.append(
        "trade: would create an order intent"
        if trade["would_create_intent"]
        else f"trade: none ({trade['reason']})"
    )
    return lines


def _num(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


commands: list[click.Command] = [monitor, why]
