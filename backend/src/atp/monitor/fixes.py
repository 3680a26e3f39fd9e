"""The operator's fix for every reason code (the codes `atp why` prints): global blockers, alert
gates and trade gates. One table for the audit, the dashboard and the status pages.

The cause's own message says what is wrong (with its numbers); this says what to do about it.
`{symbol}` is filled in for per-symbol causes. A code without an entry gets a generic pointer to
`atp why`, never nothing.
"""

from __future__ import annotations

from typing import overload

_FIXES: dict[str, str] = {
    # global causes (atp.monitor.blockers.BlockerCode)
    "MONITOR_PAUSED": "resume it: POST /api/control/start-signal-monitor "
    "(or `atp settings set MONITOR_PAUSED false`)",
    "MONITOR_NOT_RUNNING": "start the monitor: `atp monitor` (or `atp run`) and check its log",
    "MONITOR_HEARTBEAT_STALE": "the leader stopped beating: restart `atp monitor` and read its "
    "last log lines",
    "MONITOR_DISABLED": "unset DEBUG_DISABLE_SIGNAL_MONITOR on the monitor process and restart it",
    "MONITOR_CYCLES_FAILING": "read the monitor's last_error (`atp status`) and fix the failing "
    "cycle (database, preset, market data)",
    "TELEGRAM_NOT_CONFIGURED": "set TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID and ENVIRONMENT=production "
    "(see `atp telegram status` for every reason)",
    "MARKET_DATA_STALE_ALL": "start or repair the market updater: `atp market`, then "
    "`atp market-health`",
    "KILL_SWITCH_ON": "if trading should resume: `atp settings set KILL_SWITCH off`",
    "EXCHANGE_AUTH_FAILING": "check EXCHANGE_API_KEY / EXCHANGE_API_SECRET, the key's permissions "
    "and the exchange IP allow-list (40101 = key or signature refused)",
    "TRADING_SETTINGS_UNREADABLE": "fix the unreadable values: `atp settings list`",
    "ALERTS_UNDELIVERED": "start the sender: `atp sender` (`atp alerts list --status PENDING`)",
    "ALERTS_FAILING": "read the last error (`atp alerts list --status FAILED`): bot removed from "
    "the chat, token revoked or chat id wrong",
    "TELEGRAM_POLL_CONFLICT": "another process polls this bot token: stop every other "
    "`atp bot` / `atp run` using it on other hosts (or a second deployment), and remove any "
    "webhook; local runs need their own bot token (docs/bot.md)",
    "NO_ALERT_SYMBOLS": "enable alerts for at least one symbol: "
    "`atp watchlist set SYMBOL alert_enabled=true`",
    # per-symbol alert causes (atp.monitor.gates.AlertGate and the dry run's extras)
    "NOT_ON_WATCHLIST": "add it: `atp watchlist add {symbol} --preset PRESET --alerts` "
    "(or `atp watchlist restore {symbol}`)",
    "ALERT_DISABLED": "`atp watchlist set {symbol} alert_enabled=true`",
    "NOT_EVALUATED": "the monitor recorded no decision for {symbol} in the window: check that "
    "`atp monitor` runs and that {symbol} is alert-enabled",
    "MARKET_DATA_STALE": "the market data of {symbol} is stale: check `atp market` and "
    "`atp market-health` for its last error",
    "NO_SIGNAL": "nothing is broken: the strategy's conditions were not met (see the failing "
    "conditions); change the preset only if it is too strict: `atp backtest --symbol {symbol}`",
    "SIDE_DISABLED": "`atp watchlist set {symbol} buy_alert_enabled=true` "
    "(or sell_alert_enabled for SELL signals)",
    "MUTED": 'muted on purpose (the alert\'s "Mute 1 h" button); it ends by itself, or '
    "unmute now: `atp watchlist unmute {symbol}`",
    "THROTTLED_TIME_GATE": "working as configured: the cooldown since the last alert has not "
    "elapsed; lower alert_cooldown_minutes for {symbol} only if alerts are wanted more often",
    "THROTTLED_PRICE_GATE": "working as configured: the price has not moved min_price_change_pct "
    "since the last alert; lower min_price_change_pct for {symbol} if wanted",
    "TELEGRAM_DISABLED": "configure Telegram (TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID, ENVIRONMENT); "
    "`atp telegram status` lists every reason",
    "EVALUATION_ERROR": "the strategy raised for {symbol}: read the monitor log "
    "(`[MONITOR] evaluation failed symbol={symbol}`)",
    "PRESET_UNRESOLVED": "give {symbol} an existing preset: `atp presets list`, then "
    "`atp watchlist set {symbol} preset=KEY`",
    "EFFECTS_FAILED": "writing the alert failed and was rolled back: read the monitor log",
    # trade causes (atp.monitor.gates.TradeGate)
    "KILL_SWITCH": "if trading should resume: `atp settings set KILL_SWITCH off`",
    "LIVE_TRADING_OFF": "`atp settings set LIVE_TRADING on` (real money: TRADING_MODE=live)",
    "ALERTS_NOT_DELIVERED": "alerts do not reach Telegram while TRADING_MODE=live: configure "
    "Telegram before trading live",
    "TRADE_DISABLED": "`atp watchlist set {symbol} trade_enabled=true`",
    "SIDE_NOT_TRADED": "nothing to fix: only BUY alerts open orders (SELL alerts inform)",
    "INVALID_TRADE_AMOUNT": "`atp watchlist set {symbol} trade_amount_usd=AMOUNT` (a positive "
    "amount within MAX_USD_PER_ORDER)",
    "MAX_USD_PER_ORDER": "lower trade_amount_usd of {symbol} or raise MAX_USD_PER_ORDER "
    "(`atp settings set MAX_USD_PER_ORDER N`)",
    "MAX_OPEN_ORDERS_PER_COIN": "limit reached: close positions of this coin or raise "
    "MAX_OPEN_ORDERS_PER_COIN",
    "MAX_OPEN_ORDERS_TOTAL": "limit reached: close positions or raise MAX_OPEN_ORDERS_TOTAL",
    "MIN_SECONDS_BETWEEN_ORDERS": "working as configured: the spacing since the last order of "
    "{symbol} has not elapsed (MIN_SECONDS_BETWEEN_ORDERS)",
    "MAX_ORDERS_PER_SYMBOL_PER_DAY": "limit reached for today: wait for 00:00 UTC or raise "
    "MAX_ORDERS_PER_SYMBOL_PER_DAY",
}


@overload
def fix_for(cause: str, symbol: str = ...) -> str: ...
@overload
def fix_for(cause: None, symbol: str = ...) -> None: ...
def fix_for(cause: str | None, symbol: str = "SYMBOL") -> str | None:
    if cause is None:
        return None
    code = cause.split(":", 1)[0]
    text = _FIXES.get(code, "run `atp why {symbol}` for every condition and gate")
    return text.replace("{symbol}", symbol)
