"""`atp telegram status`, `atp alerts test|list|retention` and `atp sender --once` end to end."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from atp.cli import main
from atp.runtime.context import AppContext
from atp.settings import Settings
from tests.fakes.fake_telegram import FakeTelegram
from tests.integration.alerts_support import rows, telegram_settings


def run(settings: Settings, *args: str) -> tuple[int, str]:
    app = AppContext(settings=settings)
    result = CliRunner().invoke(main, list(args), obj=app)
    return result.exit_code, result.output


def test_status_prints_every_reason(settings: Settings) -> None:
    code, out = run(settings, "telegram", "status")
    assert code == 0
    assert "telegram: console (demo delivery" in out and "BLOCKED" not in out
    assert "reason=token_missing,chat_id_missing,environment_not_production" in out
    assert run(settings, "telegram", "status", "--check")[0] == 2


def test_queue_a_test_message_and_deliver_it_once_through_the_fake(
    db_url: str, tmp_path: Path
) -> None:
    with FakeTelegram() as fake:
        settings = telegram_settings(db_url, tmp_path, fake)
        code, out = run(settings, "telegram", "status", "--check")
        assert code == 0 and "enabled" in out
        code, out = run(settings, "alerts", "test", "--note", "hello <world>")
        assert code == 0 and "queued message 1" in out
        code, out = run(settings, "sender", "--once")
        assert code == 0, out
        assert "sent=1" in out
        (text,) = fake.texts("111")
        assert "Test message" in text and "hello <world>" in text
    code, out = run(settings, "alerts", "list")
    assert code == 0 and "SENT" in out and "TEST" in out
    for narrowed in (("--status", "FAILED"), ("--symbol", "BTC_USDT"), ("--reason", "THROTTLED")):
        code, out = run(settings, "alerts", "list", *narrowed)  # the API's filters, same query
        assert code == 0 and "TEST" not in out, (narrowed, out)
    assert run(settings, "alerts", "retention", "--dry-run")[1].startswith("would delete 0 rows")
    assert [r.status for r in rows_of(settings)] == ["SENT"]


def rows_of(settings: Settings):  # type: ignore[no-untyped-def]
    return rows(AppContext(settings=settings).sessions)
