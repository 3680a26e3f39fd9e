"""Signal alerts carry the bot's buttons ("why", "trade off"); other messages and output-only
chats do not. Runs the real sender against the fake Bot API."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.notifier import TelegramNotifier
from atp.alerts.outbox import MessageKind
from atp.alerts.sender import SenderWorker
from atp.bot.alert_buttons import alert_buttons_for
from tests.fakes.fake_telegram import FakeTelegram
from tests.integration.alerts_support import (
    FAST_CONFIG,
    enqueue,
    run_until_drained,
    telegram_settings,
)


def _buttons(record: dict[str, object]) -> list[str]:
    markup = record.get("reply_markup") or {}
    assert isinstance(markup, dict)
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_alert_buttons_only_under_signal_alerts(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    with FakeTelegram() as fake:
        settings = telegram_settings(db_url, tmp_path, fake, telegram_output_only_chat_ids="222")
        notifier = TelegramNotifier(settings.telegram_bot_token, settings.telegram_api_base_url)
        worker = SenderWorker(
            sessions,
            settings,
            notifier,
            replace(FAST_CONFIG),
            buttons_for=alert_buttons_for(settings),
        )
        enqueue(sessions, None, ["BUY BTC_USDT"])  # the alerts chat (111)
        enqueue(sessions, "111", ["filled"], kind=MessageKind.ORDER_FILLED)
        enqueue(sessions, "222", ["BUY in the output-only chat"])
        await run_until_drained(sessions, worker)
        alerts_chat = {m["text"]: m for m in fake.delivered["111"]}
        output_only = fake.delivered["222"]
    assert _buttons(alerts_chat["BUY BTC_USDT"]) == [
        "why:BTC_USDT",
        "mute:BTC_USDT:60",
        "tradeoff:BTC_USDT",
    ]
    assert _buttons(alerts_chat["filled"]) == []
    assert _buttons(output_only[0]) == []
