"""The throttle rule: first alert, time gate (cooldown honoured), price gate from the last sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from atp.core.throttle import config_hash, evaluate_throttle

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def check(
    minutes: float, price: str, *, cooldown: str = "10", pct: str = "1.0", last: str | None = "100"
):  # type: ignore[no-untyped-def]
    return evaluate_throttle(
        now=T0 + timedelta(minutes=minutes),
        price=Decimal(price),
        last_sent_at=T0,
        last_sent_price=None if last is None else Decimal(last),
        cooldown_minutes=Decimal(cooldown),
        min_price_change_pct=Decimal(pct),
    )


def test_first_alert_is_always_allowed() -> None:
    result = evaluate_throttle(
        now=T0,
        price=Decimal("1"),
        last_sent_at=None,
        last_sent_price=None,
        cooldown_minutes=Decimal("60"),
        min_price_change_pct=Decimal("5"),
    )
    assert result.allowed and result.reason is None and "first" in result.detail


def test_time_gate_honours_the_configured_cooldown() -> None:
    blocked = check(9.99, "150")
    assert not blocked.allowed and blocked.reason == "THROTTLED_TIME_GATE"
    assert "cooldown 10 min" in blocked.detail
    assert check(10, "150").allowed
    assert not check(59, "150", cooldown="60").allowed  # not a fixed 60 s
    assert check(0, "150", cooldown="0").allowed


def test_price_gate_after_the_time_gate() -> None:
    blocked = check(30, "100.99")
    assert not blocked.allowed and blocked.reason == "THROTTLED_PRICE_GATE"
    assert "0.99 %" in blocked.detail
    assert check(30, "101").allowed  # exactly the threshold passes
    assert check(30, "99").allowed  # moves count both ways
    assert check(30, "100", pct="0").allowed  # 0 disables the price gate
    assert check(30, "100", last=None).allowed  # no stored price: only the time gate


def test_baseline_is_the_last_sent_price_so_a_slow_drift_alerts() -> None:
    """Throttled signals do not move the baseline: 0.4 % steps add up to an alert."""
    last_at, last_price = T0, Decimal("100")
    sent = []
    price = Decimal("100")
    for step in range(1, 6):
        price = price * Decimal("1.004")
        now = T0 + timedelta(minutes=15 * step)
        result = evaluate_throttle(
            now=now,
            price=price,
            last_sent_at=last_at,
            last_sent_price=last_price,
            cooldown_minutes=Decimal("10"),
            min_price_change_pct=Decimal("1"),
        )
        if result.allowed:
            sent.append(step)
            last_at, last_price = now, price
    assert sent == [3]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate_throttle(
            now=datetime(2026, 1, 1),
            price=Decimal("1"),
            last_sent_at=None,
            last_sent_price=None,
            cooldown_minutes=Decimal("1"),
            min_price_change_pct=Decimal("1"),
        )


def test_config_hash_is_stable_and_sensitive() -> None:
    a = config_hash(
        {
            "alert_enabled": True,
            "min_price_change_pct": Decimal("1.0"),
            "preset": "swing:aggressive",
        }
    )
    b = config_hash(
        {"preset": "swing:aggressive", "min_price_change_pct": Decimal("1"), "alert_enabled": True}
    )
    assert a == b and len(a) == 64
    assert config_hash({"x": 1}) == config_hash({"x": Decimal("1.00")}) == config_hash({"x": 1.0})
    assert config_hash({"x": True}) != config_hash({"x": 1})
    assert a != config_hash(
        {"alert_enabled": False, "min_price_change_pct": Decimal("1"), "preset": "swing:aggressive"}
    )
    assert config_hash({"x": None}) != config_hash({"x": "None"})
    assert config_hash({"o": {"b": 1, "a": [1, 2]}}) == config_hash({"o": {"a": [1, 2], "b": 1}})
