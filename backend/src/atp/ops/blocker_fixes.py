"""The operator's fix for each global blocker code, in plain words (dashboard, status pages).

The blocker's own message says what is wrong (with its numbers); this says what to do about it.
Codes are `atp.monitor.blockers.BlockerCode`; an unknown code gets a generic pointer to `atp why`.
"""

from __future__ import annotations

from atp.monitor.blockers import BlockerCode

FIXES: dict[str, str] = {
    BlockerCode.NO_ALERT_SYMBOLS: (
        "turn alerts on for at least one symbol: `atp watchlist set SYMBOL alert_enabled=true`"
    ),
    BlockerCode.TELEGRAM_NOT_CONFIGURED: (
        "set TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID in secrets/runtime.env with "
        "ENVIRONMENT=production, then restart; `atp telegram status` lists the reasons"
    ),
    BlockerCode.MARKET_DATA_STALE_ALL: (
        "start (or restart) the market updater: `atp market`; `atp market-health` shows each "
        "symbol's last fetch and error"
    ),
    BlockerCode.KILL_SWITCH_ON: (
        "when it is safe to trade again: `atp settings set KILL_SWITCH off` "
        "(or POST the trading settings route)"
    ),
    BlockerCode.EXCHANGE_AUTH_FAILING: (
        "check the exchange API key, secret and IP allow-list in secrets/runtime.env and the "
        "machine's clock, then restart the order worker"
    ),
    BlockerCode.MONITOR_PAUSED: (
        "resume the monitor: POST /api/control/start-signal-monitor "
        "(or `atp settings set MONITOR_PAUSED off`)"
    ),
    BlockerCode.MONITOR_DISABLED: (
        "remove DEBUG_DISABLE_SIGNAL_MONITOR from the monitor's environment and restart it"
    ),
    BlockerCode.TRADING_SETTINGS_UNREADABLE: (
        "fix the value named in the message: `atp settings list`, then `atp settings set KEY VALUE`"
    ),
    BlockerCode.ALERTS_UNDELIVERED: (
        "start (or restart) the alert sender: `atp sender`; "
        "`atp alerts list --status PENDING` shows the queue"
    ),
    BlockerCode.ALERTS_FAILING: (
        "read the last error with `atp alerts list --status FAILED`; check the bot token, the "
        "chat id and that the bot is a member of the chat"
    ),
    BlockerCode.MONITOR_CYCLES_FAILING: (
        "read the monitor's last error (GET /api/control/status, `leader.last_error`) and its "
        "log; fix the cause and restart `atp monitor`"
    ),
    BlockerCode.MONITOR_NOT_RUNNING: "start the signal monitor: `atp monitor` (or `atp run`)",
    BlockerCode.MONITOR_HEARTBEAT_STALE: (
        "the monitor stopped beating: check its process and log, then restart `atp monitor`"
    ),
}


def fix_for(code: str) -> str:
    return FIXES.get(code, f"run `atp why SYMBOL` for the details of {code}")
