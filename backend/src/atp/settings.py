"""The one typed settings object. Nothing else in the package reads the environment.

Every variable is documented in `secrets/runtime.env.example` and `docs/configuration.md`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "atp"
PRODUCTION_CRYPTOCOM_URL = "https://api.crypto.com/exchange/v1"


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

    # --- signal monitor --------------------------------------------------------------------
    monitor_interval_seconds: float = Field(
        default=30.0, gt=0, validation_alias="MONITOR_INTERVAL_SECONDS"
    )
    debug_disable_signal_monitor: bool = Field(
        default=False, validation_alias="DEBUG_DISABLE_SIGNAL_MONITOR"
    )

    # --- Telegram (the older *_AWS names are accepted for compatibility) --------------------
    telegram_bot_token: str = Field(
        default="",
        validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_TOKEN_AWS"),
        repr=False,
    )
    telegram_chat_id: str = Field(
        default="", validation_alias=AliasChoices("TELEGRAM_CHAT_ID", "TELEGRAM_CHAT_ID_AWS")
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org", validation_alias="TELEGRAM_API_BASE_URL"
    )

    # --- REST API (atp api) ------------------------------------------------------------------
    api_host: str = Field(default="127.0.0.1", validation_alias="API_HOST")
    api_port: int = Field(default=8002, ge=1, le=65535, validation_alias="API_PORT")
    api_workers: int = Field(default=2, ge=1, le=16, validation_alias="API_WORKERS")

    @field_validator("database_url", mode="after")
    @classmethod
    def _normalise_postgres_scheme(cls, value: str) -> str:
        # Operators paste `postgres://` (Heroku style) or plain `postgresql://`; both mean psycopg2.
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        return value.strip()

    @property
    def effective_database_url(self) -> str:
        """The database to use: DATABASE_URL, else the embedded SQLite file in the data dir."""
        return self.database_url or _default_sqlite_url(self.data_dir)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return Settings()
