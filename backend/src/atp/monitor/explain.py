"""The "why" explanation as text lines, shared by `atp why` and the bot's `/why`.

Input is `atp.monitor.service.evaluate_signal(...)`'s result; the same lines on both surfaces
mean the operator reads one explanation whether at a terminal or on the phone.
"""

from __future__ import annotations

from typing import Any


def explanation_lines(result: dict[str, Any]) -> list[str]:
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
            f"  {mark}{cond['side']} {cond['name']}: {number_text(cond['actual'])} vs "
            f"{number_text(cond['threshold'])}"
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


def number_text(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)
