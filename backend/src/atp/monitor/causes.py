"""Global causes: what stops every symbol, named before any symbol's own gates.

`atp why` and `POST /api/control/evaluate-signal` evaluate one symbol with the cycle's code; a
"would send" is only true if the monitor would actually run that code. The monitor's own state
is derived live (the pause switch, the leader heartbeat) because a stopped monitor cannot store
a blocker about itself; every other cause is an active `global_blockers` row. The codes are the
blocker codes (`atp.monitor.blockers.BlockerCode`), so logs, status and "why" use one vocabulary.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from atp.core.errors import clean_error_text
from atp.monitor.blockers import BlockerCode
from atp.monitor.heartbeat import DEGRADED

ALERT, TRADE = "alert", "trade"
# Alerts still go out under these; only new entry orders stop.
TRADE_ONLY = frozenset(
    {
        BlockerCode.KILL_SWITCH_ON,
        BlockerCode.EXCHANGE_AUTH_FAILING,
        BlockerCode.TRADING_SETTINGS_UNREADABLE,
    }
)
# Loud, but neither alerts nor orders stop: named only (the menu bot's 409 conflict).
NAMED_ONLY = frozenset({BlockerCode.TELEGRAM_POLL_CONFLICT})
# Derived from the switch and the heartbeat; a stored row only lends its wording.
LIVE_CODES = frozenset(
    {
        BlockerCode.MONITOR_PAUSED,
        BlockerCode.MONITOR_DISABLED,
        BlockerCode.MONITOR_NOT_RUNNING,
        BlockerCode.MONITOR_HEARTBEAT_STALE,
        BlockerCode.MONITOR_CYCLES_FAILING,
    }
)


@dataclass(frozen=True)
class GlobalCause:
    code: str
    message: str
    # "alert": no alert (hence no order); "trade": alerts go out, no order; None: named only
    # (Telegram not configured while alerts go to the console notifier).
    blocks: str | None
    since: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def global_causes(status: dict[str, Any], *, telegram_open: bool) -> list[GlobalCause]:
    """Monitor causes first, then stored blockers that stop alerts, then those that stop trades.

    `status` is `atp.monitor.service.monitor_status(...)`; `telegram_open` is the alert gate's
    view of Telegram (console delivery counts as open).
    """
    stored = {b["code"]: b for b in status["blockers"]}
    causes = _monitor_causes(status, stored)
    rest = [b for code, b in stored.items() if code not in LIVE_CODES]
    for blocker in sorted(rest, key=lambda b: b["code"] in TRADE_ONLY):
        code = blocker["code"]
        if code in TRADE_ONLY:
            blocks: str | None = TRADE
        elif code in NAMED_ONLY or (code == BlockerCode.TELEGRAM_NOT_CONFIGURED and telegram_open):
            blocks = None
        else:
            blocks = ALERT
        causes.append(GlobalCause(code, blocker["message"], blocks, blocker["since"]))
    return causes


def _monitor_causes(status: dict[str, Any], stored: dict[str, Any]) -> list[GlobalCause]:
    def cause(code: str, default: str) -> GlobalCause:
        row = stored.get(code)
        return GlobalCause(code, row["message"] if row else default, ALERT, row and row["since"])

    out: list[GlobalCause] = []
    if status["paused"]:
        out.append(
            cause(
                BlockerCode.MONITOR_PAUSED,
                "the signal monitor is paused (MONITOR_PAUSED=true); nothing is evaluated until "
                "POST /api/control/start-signal-monitor",
            )
        )
    leader = status["leader"]
    if leader is None:
        out.append(
            cause(
                BlockerCode.MONITOR_NOT_RUNNING,
                "no signal monitor leader is running (no leader heartbeat); nothing is "
                "evaluated - start `atp monitor` (or `atp run`)",
            )
        )
    elif not leader["alive"]:
        out.append(
            cause(
                BlockerCode.MONITOR_HEARTBEAT_STALE,
                f"the monitor leader {leader['instance_id']} last beat "
                f"{status['heartbeat_age_s']:.0f} s ago (interval {status['interval_s']:g} s); "
                "it is not evaluating - is `atp monitor` still running?",
            )
        )
    elif status["state"] == "disabled":
        out.append(
            cause(
                BlockerCode.MONITOR_DISABLED,
                "DEBUG_DISABLE_SIGNAL_MONITOR=1 on the leader: nothing is evaluated",
            )
        )
    elif status["state"] == DEGRADED:
        out.append(
            cause(
                BlockerCode.MONITOR_CYCLES_FAILING,
                "the monitor's cycles keep failing; last error: "
                + (clean_error_text(leader["last_error"]) or "-"),
            )
        )
    return out
