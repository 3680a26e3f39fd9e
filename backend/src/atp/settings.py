"""The one typed settings object. Nothing else in the package reads the environment.

Every variable is documented in `secrets/runtime.env.example` and `docs/configuration.md`.
"""

from __future__ import annotations

import os
import re
import socket
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# This file is backend/src/atp/settings.py; in a source checkout parents[3] is the repository root.
_CHECKOUT_ROOT = Path(__file__).resolve().parents[3]


def _default_data_dir() -> Path:
    """`<checkout>/data` when running from a source checkout (what `make run` uses), else XDG.

    One default for every entry point: `make run`, `atp status` and `atp migrate` in the same
    checkout must open the same embedded database, whatever the working directory.
    """
    if (_CHECKOUT_ROOT / "Makefile").is_file() and (
        _CHECKOUT_ROOT / "backend" / "pyproject.toml"
    ).is_file():
        return _CHECKOUT_ROOT / "data"
    return Path.home() / ".local" / "share" / "atp"


DEFAULT_DATA_DIR = _default_data_dir()
PRODUCTION_CRYPTOCOM_URL = "https://api.crypto.com/exchange/v1"
# CLI errors area: what LOG_LEVEL and DATABASE_URL may be (checked at startup, exit 2).
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_SUPPORTED_DATABASE_URL = re.compile(r"^(sqlite|postgresql)(\+\w+)?://")


def _default_instance_id() -> str:
    # hostname:pid identifies this process (any role) in heartbeats and leader log lines.
    return f"{socket.gethostname()}:{os.getpid()}"


def _default_sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'atp.sqlite3'}"


class Settings(BaseSettings):
    """Runtime configuration, read from the environment (and `secrets/runtime.env` when present)."""

    model_config = SettingsConfigDict(
        env_file=("secrets/runtime.env", "../secrets/runtime.env"),
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # --- process / storage -------------------------------------------------------------
    environment: str = Field(default="local", validation_alias="ENVIRONMENT")
    data_dir: Path = Field(default=DEFAULT_DATA_DIR, validation_alias="ATP_DATA_DIR")
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    display_timezone: str = Field(default="UTC", validation_alias="DISPLAY_TIMEZONE")

    # --- market data ---------------------------------------------------------------------
    cryptocom_base_url: str = Field(
        default=PRODUCTION_CRYPTOCOM_URL, validation_alias="CRYPTOCOM_BASE_URL"
    )
    market_source: Literal["exchange", "replay"] = Field(
        default="exchange", validation_alias="MARKET_SOURCE"
    )
    # market data area (atp.market, atp.adapters.cryptocom): updater cadence, candle history,
    # exchange client limits and the offline replay feed. See docs/market-data.md.
    market_interval_seconds: float = Field(
        default=30.0, gt=0, validation_alias="MARKET_INTERVAL_SECONDS"
    )
    market_extra_symbols: str = Field(default="", validation_alias="MARKET_EXTRA_SYMBOLS")
    market_timeframes: str = Field(default="5m,1h,1D", validation_alias="MARKET_TIMEFRAMES")
    market_backfill_candles: int = Field(
        default=300, ge=300, le=5000, validation_alias="MARKET_BACKFILL_CANDLES"
    )
    market_max_candles_per_timeframe: int = Field(
        default=1000, ge=300, le=100_000, validation_alias="MARKET_MAX_CANDLES_PER_TIMEFRAME"
    )
    market_instruments_refresh_seconds: float = Field(
        default=3600.0, gt=0, validation_alias="MARKET_INSTRUMENTS_REFRESH_SECONDS"
    )
    market_retention_interval_seconds: float = Field(
        default=3600.0, gt=0, validation_alias="MARKET_RETENTION_INTERVAL_SECONDS"
    )
    market_http_timeout_seconds: float = Field(
        default=10.0, gt=0, validation_alias="MARKET_HTTP_TIMEOUT_SECONDS"
    )
    market_http_attempts: int = Field(
        default=4, ge=1, le=10, validation_alias="MARKET_HTTP_ATTEMPTS"
    )
    market_retry_base_delay_seconds: float = Field(
        default=0.25, ge=0, validation_alias="MARKET_RETRY_BASE_DELAY_SECONDS"
    )
    market_max_concurrency: int = Field(
        default=16, ge=1, le=256, validation_alias="MARKET_MAX_CONCURRENCY"
    )
    market_public_rate_per_second: float = Field(
        default=100.0, gt=0, le=100.0, validation_alias="MARKET_PUBLIC_RATE_PER_SECOND"
    )
    market_rate_burst: int = Field(default=10, ge=1, le=100, validation_alias="MARKET_RATE_BURST")
    replay_csv_dir: Path | None = Field(default=None, validation_alias="REPLAY_CSV_DIR")
    replay_seed: int = Field(default=42, validation_alias="REPLAY_SEED")
    replay_speed: float = Field(default=1.0, gt=0, le=100_000, validation_alias="REPLAY_SPEED")

    @field_validator("data_dir", mode="before")
    @classmethod
    def _empty_data_dir_is_default(cls, value: object) -> object:
        # `ATP_DATA_DIR=` (as in the example env file) means the default, not the working dir.
        return DEFAULT_DATA_DIR if isinstance(value, str) and not value.strip() else value

    @field_validator("replay_csv_dir", "dashboard_dir", mode="before")
    @classmethod
    def _empty_dir_is_none(cls, value: object) -> object:
        # `REPLAY_CSV_DIR=` in an env file means "not set" (synthetic feed), not the cwd.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("market_extra_symbols", mode="after")
    @classmethod
    def _normalise_symbol_list(cls, value: str) -> str:
        symbols = [part.strip().upper() for part in value.split(",") if part.strip()]
        for symbol in symbols:
            if "_" not in symbol or not symbol.replace("_", "").replace("-", "").isalnum():
                raise ValueError(f"invalid symbol {symbol!r}: use BASE_QUOTE, e.g. BTC_USDT")
        return ",".join(dict.fromkeys(symbols))

    @field_validator("market_timeframes", mode="after")
    @classmethod
    def _check_timeframes(cls, value: str) -> str:
        from atp.core.timeframes import parse_timeframe  # pure module; avoids import cycles

        names = [part.strip() for part in value.split(",") if part.strip()]
        if not names:
            raise ValueError("MARKET_TIMEFRAMES needs at least one timeframe, e.g. 5m,1h,1D")
        return ",".join(dict.fromkeys(parse_timeframe(name).value for name in names))

    @property
    def market_extra_symbol_list(self) -> tuple[str, ...]:
        return tuple(s for s in self.market_extra_symbols.split(",") if s)

    @property
    def market_timeframe_list(self) -> tuple[str, ...]:
        return tuple(self.market_timeframes.split(","))

    # --- signal monitor --------------------------------------------------------------------
    monitor_interval_seconds: float = Field(
        default=30.0, gt=0, validation_alias="MONITOR_INTERVAL_SECONDS"
    )
    debug_disable_signal_monitor: bool = Field(
        default=False, validation_alias="DEBUG_DISABLE_SIGNAL_MONITOR"
    )
    # monitor area: heartbeat log cadence, leader identity/lock, candle window per symbol.
    monitor_heartbeat_log_seconds: float = Field(
        default=300.0, gt=0, validation_alias="MONITOR_HEARTBEAT_LOG_SECONDS"
    )
    monitor_instance_id: str = Field(
        default_factory=_default_instance_id, max_length=128, validation_alias="MONITOR_INSTANCE_ID"
    )
    monitor_leader_lock_id: int = Field(
        default=7_305_001, ge=1, lt=2**31, validation_alias="MONITOR_LEADER_LOCK_ID"
    )
    sender_lock_id: int = Field(
        default=7_305_002, ge=1, lt=2**31, validation_alias="SENDER_LOCK_ID"
    )
    # workers-survive-outages area: the market updater is single-instance like the monitor.
    market_lock_id: int = Field(
        default=7_305_003, ge=1, lt=2**31, validation_alias="MARKET_LOCK_ID"
    )
    monitor_candle_limit: int = Field(
        default=250, ge=50, le=5000, validation_alias="MONITOR_CANDLE_LIMIT"
    )
    # monitor area (decision price): the oldest ticker the alert, throttle and SL/TP may use;
    # both its fetch time and its exchange timestamp must be this recent (docs/monitor.md).
    monitor_ticker_max_age_seconds: float = Field(
        default=90.0, ge=5, le=900, validation_alias="MONITOR_TICKER_MAX_AGE_SECONDS"
    )
    # monitor area (loud failures): consecutive failed cycles that raise MONITOR_CYCLES_FAILING.
    monitor_failed_cycles_blocker: int = Field(
        default=3, ge=1, le=1000, validation_alias="MONITOR_FAILED_CYCLES_BLOCKER"
    )
    # monitor area (fencing / truthful intents): "paper" accepts order intents behind alerts
    # that only reach the console; "live" creates intents only when alerts reach Telegram.
    trading_mode: Literal["paper", "live"] = Field(default="paper", validation_alias="TRADING_MODE")
    # A PENDING order intent older than this becomes EXPIRED (monitor leader, every tick).
    order_intent_ttl_seconds: float = Field(
        default=300.0, gt=0, le=86_400, validation_alias="ORDER_INTENT_TTL_SECONDS"
    )

    # --- order flow, sync and guardian (atp.orders.flow / sync / guardian; docs/orders.md) ---
    # `atp sync` is single-instance like the monitor (lock id for PostgreSQL; a file for SQLite).
    orders_lock_id: int = Field(
        default=7_305_004, ge=1, lt=2**31, validation_alias="ORDERS_LOCK_ID"
    )
    orders_sync_interval_seconds: float = Field(
        default=5.0, gt=0, le=300, validation_alias="ORDERS_SYNC_INTERVAL_SECONDS"
    )
    # How long an accepted (or unknown-outcome) request may stay unseen by client_oid before the
    # flow gives up on it (entry: FAILED, never resent; protection: the next fallback step).
    orders_lookup_grace_seconds: float = Field(
        default=60.0, gt=0, le=3600, validation_alias="ORDERS_LOOKUP_GRACE_SECONDS"
    )
    # Read-backs right after a write (the exchange queues writes; spec §9.4 polls 5 x 0.4 s).
    orders_confirm_polls: int = Field(
        default=5, ge=1, le=20, validation_alias="ORDERS_CONFIRM_POLLS"
    )
    orders_confirm_delay_seconds: float = Field(
        default=0.4, ge=0, le=5, validation_alias="ORDERS_CONFIRM_DELAY_SECONDS"
    )
    # Protection requests per filled entry (OCO STOP_LIMIT, OCO STOP_LOSS, standalone stop, and
    # the guardian's repairs) before the position is closed at market.
    orders_protection_max_attempts: int = Field(
        default=6, ge=3, le=50, validation_alias="ORDERS_PROTECTION_MAX_ATTEMPTS"
    )
    orders_flatten_unprotected: bool = Field(
        default=True, validation_alias="ORDERS_FLATTEN_UNPROTECTED"
    )
    # Orphan protection orders (their position is gone) are reported; cancelled only when this
    # is on AND the guardian saw the same orphan on two consecutive passes.
    orders_cancel_orphans: bool = Field(default=False, validation_alias="ORDERS_CANCEL_ORPHANS")

    # --- guardian: gapped stops (atp.orders.gapped_stops; docs/orders.md, "Guardian") --------
    # A fired STOP_LIMIT whose LIMIT order rests unfilled while the price is beyond its limit
    # for this long leaves the position naked: the guardian cancels it and closes at market.
    orders_gapped_stop_seconds: float = Field(
        default=10.0, ge=0, le=3600, validation_alias="ORDERS_GAPPED_STOP_SECONDS"
    )
    # The `market_prices` last price the gap check may use: fetch and exchange time this recent.
    orders_gapped_stop_price_max_age_seconds: float = Field(
        default=60.0, ge=5, le=900, validation_alias="ORDERS_GAPPED_STOP_PRICE_MAX_AGE_SECONDS"
    )

    # --- paper broker (atp.adapters.paper; TRADING_MODE=paper) -------------------------------
    # Market fills move the latest price against the order by this many basis points.
    paper_slippage_bps: Decimal = Field(
        default=Decimal(5), ge=0, le=1000, validation_alias="PAPER_SLIPPAGE_BPS"
    )
    # Fee per fill as a fraction of its value (taker rate), charged in the quote currency.
    paper_fee_rate: Decimal = Field(
        default=Decimal("0.0025"), ge=0, le=Decimal("0.05"), validation_alias="PAPER_FEE_RATE"
    )
    # Credited once, to each quote currency below, when the paper account is first used.
    paper_start_balance_usd: Decimal = Field(
        default=Decimal(10_000),
        gt=0,
        le=Decimal(10) ** 12,
        validation_alias="PAPER_START_BALANCE_USD",
    )
    # Comma-separated; USDT too because the demo and most watchlists trade *_USDT pairs.
    paper_quote_currency: str = Field(default="USD,USDT", validation_alias="PAPER_QUOTE_CURRENCY")
    # A paper order never fills at a `market_prices` row older than this.
    paper_price_max_age_seconds: float = Field(
        default=120.0, ge=5, le=3600, validation_alias="PAPER_PRICE_MAX_AGE_SECONDS"
    )

    @field_validator("paper_slippage_bps", "paper_fee_rate", "paper_start_balance_usd")
    @classmethod
    def _finite_decimal(cls, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError("must be a finite number")
        return value

    @field_validator("paper_quote_currency", mode="after")
    @classmethod
    def _check_quote_currencies(cls, value: str) -> str:
        codes = [part.strip().upper() for part in value.split(",") if part.strip()]
        if not codes or not all(c.isascii() and c.isalnum() and len(c) <= 16 for c in codes):
            raise ValueError("must be one or more currency codes, comma-separated, e.g. USD,USDT")
        return ",".join(dict.fromkeys(codes))

    @property
    def paper_quote_currency_list(self) -> tuple[str, ...]:
        return tuple(self.paper_quote_currency.split(","))

    # --- Telegram (the older *_AWS names are accepted for compatibility) --------------------
    telegram_bot_token: str = Field(
        default="",
        validation_alias="TELEGRAM_BOT_TOKEN",
        repr=False,
    )
    telegram_chat_id: str = Field(default="", validation_alias="TELEGRAM_CHAT_ID")
    # Legacy names: used only when the new name is empty (an example file copied with
    # `TELEGRAM_BOT_TOKEN=` left blank must not hide a `TELEGRAM_BOT_TOKEN_AWS` value).
    telegram_bot_token_aws: str = Field(
        default="", validation_alias="TELEGRAM_BOT_TOKEN_AWS", repr=False, exclude=True
    )
    telegram_chat_id_aws: str = Field(
        default="", validation_alias="TELEGRAM_CHAT_ID_AWS", exclude=True
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org", validation_alias="TELEGRAM_API_BASE_URL"
    )

    # --- alerts: Telegram gating, sender, ledger (atp.alerts) --------------------------------
    # Real Telegram sends happen only when ENVIRONMENT is production/prod/aws (see docs/alerts.md).
    telegram_enabled: bool = Field(default=True, validation_alias="TELEGRAM_ENABLED")
    telegram_chat_id_ops: str = Field(default="", validation_alias="TELEGRAM_CHAT_ID_OPS")
    telegram_alert_max_age_seconds: float = Field(
        default=600.0, gt=0, validation_alias="TELEGRAM_ALERT_MAX_AGE_SECONDS"
    )
    telegram_retention_days: int = Field(
        default=90, ge=1, validation_alias="TELEGRAM_RETENTION_DAYS"
    )
    telegram_daily_summary_time: str = Field(
        default="08:00", validation_alias="TELEGRAM_DAILY_SUMMARY_TIME"
    )
    telegram_send_timeout_seconds: float = Field(
        default=10.0, gt=0, validation_alias="TELEGRAM_SEND_TIMEOUT_SECONDS"
    )

    # --- the menu bot (`atp bot`, atp.bot; docs/bot.md) --------------------------------------
    # Comma lists of numeric ids. TELEGRAM_CHAT_ID is allowed too unless it is output-only.
    telegram_allowed_chat_ids: str = Field(default="", validation_alias="TELEGRAM_ALLOWED_CHAT_IDS")
    telegram_allowed_user_ids: str = Field(default="", validation_alias="TELEGRAM_ALLOWED_USER_IDS")
    telegram_output_only_chat_ids: str = Field(
        default="", validation_alias="TELEGRAM_OUTPUT_ONLY_CHAT_IDS"
    )
    # The poller is single-instance like the monitor (lock id for PostgreSQL; a file for SQLite).
    bot_lock_id: int = Field(default=7_305_005, ge=1, lt=2**31, validation_alias="BOT_LOCK_ID")
    # Standby retry / heartbeat cadence; a standby takes over within two intervals.
    bot_interval_seconds: float = Field(
        default=5.0, gt=0, le=300, validation_alias="BOT_INTERVAL_SECONDS"
    )
    # Seconds one getUpdates call waits server-side (long poll).
    bot_poll_timeout_seconds: int = Field(
        default=10, ge=0, le=50, validation_alias="BOT_POLL_TIMEOUT_SECONDS"
    )
    # Consecutive 409 Conflict answers that raise the TELEGRAM_POLL_CONFLICT blocker.
    bot_conflict_blocker_after: int = Field(
        default=3, ge=1, le=1000, validation_alias="BOT_CONFLICT_BLOCKER_AFTER"
    )

    @field_validator(
        "telegram_allowed_chat_ids",
        "telegram_allowed_user_ids",
        "telegram_output_only_chat_ids",
        mode="after",
    )
    @classmethod
    def _id_list(cls, value: str) -> str:
        ids = [part.strip() for part in value.split(",") if part.strip()]
        for part in ids:
            if not part.lstrip("-").isdigit():
                raise ValueError("must be a comma-separated list of numeric Telegram ids")
        return ",".join(ids)

    @field_validator("telegram_daily_summary_time", mode="after")
    @classmethod
    def _check_summary_time(cls, value: str) -> str:
        # "HH:MM" in DISPLAY_TIMEZONE, or "off" to disable the daily summary.
        value = value.strip().lower()
        if value in {"", "off"}:
            return "off"
        hours, sep, minutes = value.partition(":")
        if not (sep and hours.isdigit() and minutes.isdigit()):
            raise ValueError("TELEGRAM_DAILY_SUMMARY_TIME must be HH:MM or 'off'")
        if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
            raise ValueError("TELEGRAM_DAILY_SUMMARY_TIME must be a valid time of day (HH:MM)")
        return f"{int(hours):02d}:{int(minutes):02d}"

    # --- signed Crypto.com client (atp.adapters.cryptocom.private / broker) ------------------
    # Trimmed of whitespace, newlines and surrounding quotes (env files); never in a repr or log.
    exchange_api_key: SecretStr = Field(
        default=SecretStr(""), validation_alias="EXCHANGE_API_KEY", repr=False
    )
    exchange_api_secret: SecretStr = Field(
        default=SecretStr(""), validation_alias="EXCHANGE_API_SECRET", repr=False
    )

    @field_validator("exchange_api_key", "exchange_api_secret", mode="after")
    @classmethod
    def _trim_exchange_credential(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value().strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1].strip()
        return SecretStr(text)

    @property
    def exchange_credentials_set(self) -> bool:
        return bool(
            self.exchange_api_key.get_secret_value() and self.exchange_api_secret.get_secret_value()
        )

    # --- REST API (atp api) ------------------------------------------------------------------
    api_host: str = Field(default="127.0.0.1", validation_alias="API_HOST")
    api_port: int = Field(default=8002, ge=1, le=65535, validation_alias="API_PORT")
    api_workers: int = Field(default=2, ge=1, le=16, validation_alias="API_WORKERS")

    # --- REST API access (atp.api.security): who may change state, who may call cross-origin --
    # Empty token = every POST/PUT/PATCH/DELETE is refused (503); reads stay open.
    api_token: SecretStr = Field(
        default=SecretStr(""), validation_alias="ATP_API_TOKEN", repr=False
    )
    # The dashboard's origin(s), comma-separated (e.g. http://localhost:3000); empty = no CORS.
    dashboard_origin: str = Field(default="", validation_alias="DASHBOARD_ORIGIN")
    # The dashboard's static export, served by the API at / (atp.api.site). Empty: frontend/out
    # of this source checkout (`make frontend-build`); the container image sets it.
    dashboard_dir: Path | None = Field(default=None, validation_alias="DASHBOARD_DIR")

    # --- health / config / metrics (atp.ops.health, GET /api/config): build identity ---------
    # Set by the image build or the deploy script; empty = "unknown" in /api/config and /metrics.
    git_sha: str = Field(default="", max_length=64, validation_alias="GIT_SHA")
    build_time: str = Field(default="", max_length=64, validation_alias="BUILD_TIME")

    @field_validator("api_token", mode="after")
    @classmethod
    def _check_api_token(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        if token and (len(token) < 16 or not token.isascii() or not token.isprintable()):
            raise ValueError(
                "must be at least 16 printable ASCII characters "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return SecretStr(token)

    @field_validator("dashboard_origin", mode="after")
    @classmethod
    def _check_dashboard_origin(cls, value: str) -> str:
        origins = [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        for origin in origins:
            scheme, sep, host = origin.partition("://")
            if scheme not in ("http", "https") or not sep or not host or "/" in host:
                raise ValueError(
                    "must be scheme://host[:port] (no path, no '*'), e.g. http://localhost:3000"
                )
        return ",".join(dict.fromkeys(origins))

    @property
    def dashboard_origin_list(self) -> tuple[str, ...]:
        return tuple(o for o in self.dashboard_origin.split(",") if o)

    @property
    def effective_dashboard_dir(self) -> Path:
        return self.dashboard_dir or _CHECKOUT_ROOT / "frontend" / "out"

    @field_validator("monitor_instance_id", mode="after")
    @classmethod
    def _instance_id_or_default(cls, value: str) -> str:
        # An empty MONITOR_INSTANCE_ID= line in runtime.env means "use hostname:pid".
        return value.strip() or _default_instance_id()

    @field_validator("database_url", mode="after")
    @classmethod
    def _normalise_postgres_scheme(cls, value: str) -> str:
        # Operators paste `postgres://` (Heroku style) or plain `postgresql://`; both mean psycopg2.
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        return value.strip()

    @field_validator("display_timezone", mode="after")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown IANA time zone {value!r} (e.g. UTC, Asia/Makassar)"
            ) from None
        return value

    # --- CLI errors area: values that would otherwise fail later, with a traceback ----------
    @field_validator("log_level", mode="after")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in _LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
        return level

    @field_validator("database_url", mode="after")
    @classmethod
    def _supported_database_url(cls, value: str) -> str:
        # The value may hold a password: the message never repeats it.
        if value and not _SUPPORTED_DATABASE_URL.match(value):
            raise ValueError(
                "must start with postgresql:// or sqlite:/// "
                "(or be empty for the embedded SQLite file)"
            )
        return value

    @field_validator("data_dir", mode="after")
    @classmethod
    def _usable_data_dir(cls, value: Path) -> Path:
        path = value.expanduser()
        # The nearest existing ancestor must be a directory, or nothing can ever be created there.
        existing = next((p for p in (path, *path.parents) if p.exists()), None)
        if existing is not None and not existing.is_dir():
            raise ValueError(f"{existing} is a file, not a directory")
        return path

    @model_validator(mode="after")
    def _apply_legacy_telegram_names(self) -> Settings:
        if not self.telegram_bot_token.strip():
            self.telegram_bot_token = self.telegram_bot_token_aws.strip()
        if not self.telegram_chat_id.strip():
            self.telegram_chat_id = self.telegram_chat_id_aws.strip()
        return self

    @property
    def effective_database_url(self) -> str:
        """The database to use: DATABASE_URL, else the embedded SQLite file in the data dir."""
        return self.database_url or _default_sqlite_url(self.data_dir)


def describe_errors(exc: ValidationError) -> str:
    """One line naming every bad variable and why; never the value (it may be a secret)."""
    parts = [
        f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
    ]
    return "invalid configuration: " + "; ".join(parts)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return Settings()
