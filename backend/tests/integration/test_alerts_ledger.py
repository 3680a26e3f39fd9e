"""One ledger: enqueue (idempotent, no commit), BLOCKED by gating, console default, retention,
and the daily summary composed from the ledger and the order tables."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.gating import OPERATOR_SWITCH_KEY
from atp.alerts.models import TelegramMessage
from atp.alerts.notifier import ConsoleNotifier
from atp.alerts.outbox import MessageKind, enqueue_alert, record_blocked
from atp.alerts.retention import purge_ledger
from atp.alerts.sender import SenderWorker
from atp.alerts.summary import compose_summary, maybe_enqueue_daily_summary
from atp.db.base import utcnow
from atp.ops.models import TradingSetting
from atp.orders.models import ExchangeOrder, OrderIntent
from atp.runtime.context import AppContext
from atp.runtime.sender import build_sender
from atp.settings import Settings
from tests.integration.alerts_support import FAST_CONFIG, enqueue, rows


def _settings(db_url: str, tmp_path: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "database_url": db_url,
        "data_dir": tmp_path,
        "environment": "local",
        "telegram_bot_token": "",
        "telegram_chat_id": "",
        "telegram_daily_summary_time": "off",
    }
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_enqueue_is_idempotent_and_never_commits(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        first = enqueue_alert(
            session,
            idempotency_key="k1",
            kind="ALERT",
            symbol="BTC_USDT",
            side="BUY",
            text="x",
            chat_id=None,
            correlation_id="c1",
            context={"price": "1"},
        )
        again = enqueue_alert(
            session,
            idempotency_key="k1",
            kind="ALERT",
            symbol="BTC_USDT",
            side="BUY",
            text="x",
            chat_id=None,
            correlation_id="c1",
            context=None,
        )
        assert again.id == first.id
        session.rollback()  # the monitor's transaction rolled back: no alert row survives
    assert rows(sessions) == []
    with pytest.raises(ValueError, match="reason_code"):
        with sessions() as session:
            enqueue_alert(
                session,
                idempotency_key="k2",
                kind="ALERT",
                symbol=None,
                side=None,
                text="x",
                chat_id=None,
                correlation_id=None,
                context=None,
                status="BLOCKED",
            )


def test_record_blocked_is_one_row_with_its_reason(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        record_blocked(
            session,
            idempotency_key="b1",
            kind="ALERT",
            symbol="ETH_USDT",
            side="SELL",
            text="sell",
            reason_code="TELEGRAM_DISABLED:token_missing",
            correlation_id="c9",
        )
    (row,) = rows(sessions)
    assert (row.status, row.reason_code, row.symbol, row.side, row.correlation_id) == (
        "BLOCKED",
        "TELEGRAM_DISABLED:token_missing",
        "ETH_USDT",
        "SELL",
        "c9",
    )


async def test_embedded_default_prints_to_console_and_records_sent(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    enqueue(sessions, None, ["<b>BUY</b> BTC_USDT", "<b>SELL</b> ETH_USDT"])
    app = AppContext(settings=_settings(db_url, tmp_path))
    worker = build_sender(app, FAST_CONFIG)
    assert isinstance(worker.notifier, ConsoleNotifier)
    worker.notifier._stream = io.StringIO()  # type: ignore[attr-defined]
    await worker.run(asyncio.Event(), once=True)
    assert worker.notifier.sent == [("console", "BUY BTC_USDT"), ("console", "SELL ETH_USDT")]  # type: ignore[attr-defined]
    ledger = rows(sessions)
    assert [(r.status, r.channel) for r in ledger] == [("SENT", "console")] * 2
    app.close()


async def test_production_without_token_records_blocked_with_every_reason(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    enqueue(sessions, None, ["a", "b"])
    app = AppContext(
        settings=_settings(db_url, tmp_path, environment="production", telegram_chat_id="5")
    )
    worker = build_sender(app, FAST_CONFIG)
    await worker.run(asyncio.Event(), once=True)
    assert {(r.status, r.reason_code) for r in rows(sessions)} == {
        ("BLOCKED", "TELEGRAM_DISABLED:token_missing")
    }
    app.close()


async def test_operator_switch_blocks_even_the_console(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    with sessions.begin() as session:
        session.add(TradingSetting(key=OPERATOR_SWITCH_KEY, value="false"))
    enqueue(sessions, None, ["a"])
    worker = SenderWorker(
        sessions, _settings(db_url, tmp_path), ConsoleNotifier(io.StringIO()), FAST_CONFIG
    )
    await worker.run(asyncio.Event(), once=True)
    (row,) = rows(sessions)
    assert row.status == "BLOCKED" and (row.reason_code or "").endswith("disabled_by_operator")


def test_retention_deletes_only_old_final_rows(sessions: sessionmaker[Session]) -> None:
    old_sent, old_pending, new_sent = enqueue(
        sessions, "1", ["old sent", "old pending", "new sent"]
    )
    now = utcnow()
    with sessions.begin() as session:
        session.execute(
            update(TelegramMessage)
            .where(TelegramMessage.id.in_([old_sent, new_sent]))
            .values(status="SENT")
        )
        session.execute(
            update(TelegramMessage)
            .where(TelegramMessage.id.in_([old_sent, old_pending]))
            .values(created_at=now - timedelta(days=91))
        )
    assert purge_ledger(sessions, now, 90, dry_run=True).deleted == 1
    assert len(rows(sessions)) == 3
    result = purge_ledger(sessions, now, 90)
    assert result.deleted == 1
    assert sorted(r.id for r in rows(sessions)) == [old_pending, new_sent]


def test_daily_summary_is_composed_from_ledger_and_orders_and_enqueued_once(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    settings = _settings(
        db_url, tmp_path, telegram_daily_summary_time="08:00", display_timezone="Asia/Makassar"
    )
    now = datetime(2026, 5, 2, 0, 30, tzinfo=UTC)  # 08:30 WITA: today's summary is due
    inside = now - timedelta(hours=3)
    with sessions.begin() as session:
        for key, status, reason in [
            ("s1", "SENT", None),
            ("s2", "SENT", None),
            ("b1", "BLOCKED", "THROTTLED_TIME_GATE"),
            ("f1", "FAILED", "TELEGRAM_FORBIDDEN"),
        ]:
            row = enqueue_alert(
                session,
                idempotency_key=key,
                kind="ALERT",
                symbol="BTC_USDT",
                side="BUY",
                text=key,
                chat_id=None,
                correlation_id=None,
                context=None,
            )
            row.status, row.reason_code, row.created_at = status, reason, inside
        session.add(
            OrderIntent(
                idempotency_key="i1",
                client_oid="oid-1",
                symbol="BTC_USDT",
                side="BUY",
                status="PLACED",
                created_at=inside,
            )
        )
        session.add(
            ExchangeOrder(
                exchange_order_id="E1",
                symbol="BTC_USDT",
                side="BUY",
                order_type="MARKET",
                order_role="ENTRY",
                status="FILLED",
                quantity=Decimal("0.01"),
                avg_price=Decimal("60000"),
                exchange_update_time=inside,
            )
        )
        session.add(
            ExchangeOrder(
                exchange_order_id="E2",
                symbol="BTC_USDT",
                side="SELL",
                order_type="TAKE_PROFIT",
                order_role="TAKE_PROFIT",
                status="FILLED",
                quantity=Decimal("0.01"),
                avg_price=Decimal("61234.5"),
                parent_order_id="E1",
                exchange_update_time=inside,
            )
        )
    with sessions() as session:
        summary = compose_summary(session, now - timedelta(days=1), now)
    assert summary.alerts_by_status == {"SENT": 2, "BLOCKED": 1, "FAILED": 1}
    assert summary.blocked_by_reason == {"THROTTLED_TIME_GATE": 1}
    assert summary.intents_by_status == {"PLACED": 1} and summary.entry_fills == 1
    assert (summary.closed_trades, summary.realized_pnl) == (1, Decimal("12.345"))
    for _ in range(2):
        with sessions.begin() as session:
            maybe_enqueue_daily_summary(session, settings, now)
    with sessions() as session:
        texts = session.scalars(
            select(TelegramMessage.text).where(TelegramMessage.kind == MessageKind.DAILY_SUMMARY)
        ).all()
    assert len(texts) == 1 and "Realized P&amp;L: +$12.35" in texts[0]
    with sessions.begin() as session:  # before 08:00 local time the next day: nothing new
        assert not maybe_enqueue_daily_summary(session, settings, now + timedelta(hours=23))
        assert session.scalar(select(func.count()).select_from(TelegramMessage)) == 5
