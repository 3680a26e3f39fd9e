"""`atp audit --mode live` authenticates against the (strict fake) exchange; dry never calls it."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from atp.audit.service import run_audit
from atp.audit.types import Check
from atp.db.base import utcnow
from atp.runtime.broker import probe_broker
from atp.settings import Settings
from tests.fakes.fake_exchange import FakeExchange
from tests.fakes.fake_exchange_private import DEFAULT_API_KEY, DEFAULT_API_SECRET
from tests.integration.audit_support import set_switch
from tests.integration.monitor_support import seed_world, write_leader_beat
from tests.integration.test_watchlist_cli import run

BALANCE = "private/user-balance"


@pytest.fixture
def fake() -> Iterator[FakeExchange]:
    exchange = FakeExchange(symbols=["BTC_USD"])
    with exchange:
        exchange.private.set_balance("USD", Decimal("1000"))
        yield exchange


def _live(settings: Settings, fake: FakeExchange, secret: str) -> Settings:
    return settings.model_copy(
        update={
            "trading_mode": "live",
            "cryptocom_base_url": fake.base_url,
            "exchange_api_key": SecretStr(DEFAULT_API_KEY),
            "exchange_api_secret": SecretStr(secret),
        }
    )


def _exchange_check(sessions: sessionmaker[Session], settings: Settings, mode: str) -> Check:
    result = run_audit(
        sessions,
        settings,
        since_hours=24,
        mode=mode,
        store=False,
        probe_broker=lambda: probe_broker(settings, sessions),
    )
    return next(c for c in result.checks if c.name == "exchange_auth")


def test_live_mode_reports_a_refused_key_with_the_exchange_code(
    sessions: sessionmaker[Session], settings: Settings, fake: FakeExchange
) -> None:
    seed_world(sessions, {"BTC_USD": {"preset": "test:buy"}}, now=utcnow())
    write_leader_beat(sessions)
    set_switch(sessions, "LIVE_TRADING", "true")  # the factory builds the live broker
    wrong = _live(settings, fake, "not-the-secret")

    check = _exchange_check(sessions, wrong, "dry")
    assert check.status == "WARN" and fake.requests(BALANCE) == []  # dry never calls it

    check = _exchange_check(sessions, wrong, "live")
    assert check.status == "FAIL" and check.code == "EXCHANGE_AUTH_FAILING"
    assert check.evidence["exchange_code"] == 40101 and "40101" in check.summary
    assert check.fix and "allow-list" in check.fix
    assert [r.code for r in fake.requests(BALANCE)] == [40101]
    assert "not-the-secret" not in repr(check)

    check = _exchange_check(sessions, _live(settings, fake, DEFAULT_API_SECRET), "live")
    assert check.status == "PASS", check


def test_live_mode_through_the_cli_fails_with_exit_1(
    sessions: sessionmaker[Session], settings: Settings, fake: FakeExchange, tmp_path: Path
) -> None:
    seed_world(sessions, {"BTC_USD": {"preset": "test:buy"}}, now=utcnow())
    write_leader_beat(sessions)  # LIVE_TRADING off: the probe still runs with the keys
    wrong = _live(settings, fake, "not-the-secret")
    out_md = f"{tmp_path}/live.md"
    code, out = run(wrong, "audit", "--mode", "live", "--since-hours", "1", "--output", out_md)
    assert code == 1, out
    assert "FAIL exchange_auth: exchange authentication failing (40101" in out
    assert "[EXCHANGE_AUTH_FAILING]" in out
