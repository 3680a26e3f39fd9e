"""Gating in one place: every reason, the *_AWS aliases, and one log line per state change."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from atp.alerts.gating import BlockReason, reset_state_log, telegram_status
from atp.settings import Settings

TOKEN = "123456:ABCdef_ghi-JKL"


@pytest.fixture(autouse=True)
def _fresh_state_log() -> Iterator[None]:
    reset_state_log()
    yield
    reset_state_log()


def _settings(**values: object) -> Settings:
    base: dict[str, object] = {
        "environment": "production",
        "telegram_bot_token": TOKEN,
        "telegram_chat_id": "-1001234",
    }
    base.update(values)
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


def test_enabled_in_production_with_token_and_chat() -> None:
    status = telegram_status(_settings())
    assert status.enabled and status.reasons == () and status.notifier_kind == "telegram"
    assert status.reason_code is None


def test_every_reason_is_reported_at_once() -> None:
    status = telegram_status(
        _settings(
            environment="local", telegram_bot_token="", telegram_chat_id="", telegram_enabled=False
        )
    )
    assert status.reasons == (
        BlockReason.TOKEN_MISSING,
        BlockReason.CHAT_ID_MISSING,
        BlockReason.ENVIRONMENT_NOT_PRODUCTION,
        BlockReason.DISABLED_BY_SETTING,
    )
    assert status.reason_code == (
        "TELEGRAM_DISABLED:token_missing,chat_id_missing,environment_not_production,disabled_by_setting"
    )
    assert status.notifier_kind == "blocked"  # an explicit "off" also silences the console


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"telegram_bot_token": ""}, BlockReason.TOKEN_MISSING),
        ({"telegram_bot_token": "not a token"}, BlockReason.TOKEN_MALFORMED),
        ({"telegram_chat_id": ""}, BlockReason.CHAT_ID_MISSING),
        ({"telegram_chat_id": "my chat"}, BlockReason.CHAT_ID_MALFORMED),
        ({"environment": "staging"}, BlockReason.ENVIRONMENT_NOT_PRODUCTION),
        ({"telegram_enabled": False}, BlockReason.DISABLED_BY_SETTING),
    ],
)
def test_each_reason_alone(values: dict[str, object], reason: BlockReason) -> None:
    status = telegram_status(_settings(**values))
    assert status.reasons == (reason,)
    assert not status.enabled


@pytest.mark.parametrize("environment", ["production", "PROD", "aws"])
def test_production_environment_names(environment: str) -> None:
    assert telegram_status(_settings(environment=environment)).enabled


def test_embedded_default_uses_the_console_and_production_never_does() -> None:
    local = telegram_status(_settings(environment="local", telegram_bot_token=""))
    assert local.notifier_kind == "console"
    assert telegram_status(_settings(telegram_bot_token="")).notifier_kind == "blocked"


def test_legacy_aws_variable_names_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID", "TELEGRAM_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN_AWS", TOKEN)
    monkeypatch.setenv("TELEGRAM_CHAT_ID_AWS", "777")
    monkeypatch.setenv("ENVIRONMENT", "aws")
    status = telegram_status(Settings(_env_file=None))  # type: ignore[call-arg]
    assert status.enabled and status.chat_id == "777"


def test_an_empty_new_name_does_not_hide_the_legacy_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_CHAT_ID",
        "TELEGRAM_BOT_TOKEN_AWS",
        "TELEGRAM_CHAT_ID_AWS",
    ):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / "runtime.env"
    env_file.write_text(
        f"TELEGRAM_BOT_TOKEN=\nTELEGRAM_CHAT_ID=\nTELEGRAM_BOT_TOKEN_AWS={TOKEN}\n"
        "TELEGRAM_CHAT_ID_AWS=777\nENVIRONMENT=aws\n"
    )
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.telegram_bot_token == TOKEN and settings.telegram_chat_id == "777"
    assert TOKEN not in repr(settings)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:new-token-wins")
    assert Settings(_env_file=env_file).telegram_bot_token == "123:new-token-wins"  # type: ignore[call-arg]


def test_blocked_is_logged_once_per_state_change_and_never_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="atp.alerts.gating")
    blocked = _settings(telegram_chat_id="")
    for _ in range(5):
        telegram_status(blocked)
    telegram_status(_settings())
    telegram_status(_settings())
    telegram_status(_settings(environment="dev"))
    lines = [r.getMessage() for r in caplog.records]
    assert [line.split()[0] for line in lines] == [
        "[TELEGRAM_BLOCKED]",
        "[TELEGRAM_UNBLOCKED]",
        "[TELEGRAM_CONSOLE]",  # not production: the demo's console delivery, not a block
    ]
    assert lines[0].startswith("[TELEGRAM_BLOCKED] reason=chat_id_missing")
    levels = [r.levelname for r in caplog.records]
    assert levels == ["WARNING", "INFO", "INFO"]
    assert all(TOKEN not in line and "ABCdef" not in line for line in lines)
    assert TOKEN not in repr(blocked)


def test_replayed_market_data_never_reaches_a_real_chat() -> None:
    """`make run` (MARKET_SOURCE=replay) with a production secrets file: loud, not delivered."""
    production = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="production",
        telegram_bot_token="123456:ABC-def_ghi",
        telegram_chat_id="-100123",
        market_source="replay",
    )
    status = telegram_status(production)
    assert status.notifier_kind == "blocked"
    assert status.reason_code == "TELEGRAM_DISABLED:replay_market_data"
    demo = production.model_copy(update={"environment": "local"})
    assert telegram_status(demo).notifier_kind == "console"
    assert telegram_status(production.model_copy(update={"market_source": "exchange"})).enabled
