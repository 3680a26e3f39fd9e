"""Deterministic idempotency keys and client_oid, the config hash, and the blocked-ledger rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from atp.monitor.decide import SymbolDecision
from atp.monitor.gates import GateResult
from atp.monitor.inputs import PreviousState
from atp.monitor.records import next_ledger_reasons
from atp.monitor.throttle_state import (
    ThrottleMemory,
    alert_idempotency_key,
    client_oid_for,
    intent_idempotency_key,
    stale_rows,
    symbol_config_hash,
)

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
MEMORY = ThrottleMemory(
    1, "BTC_USDT", "swing:conservative", "BUY", T0, Decimal("100"), None, "h", None
)


def test_alert_key_is_deterministic_and_changes_with_the_baseline() -> None:
    first = alert_idempotency_key("BTC_USDT", "swing:conservative", "BUY", None)
    assert first == alert_idempotency_key("BTC_USDT", "swing:conservative", "BUY", None)
    after_send = alert_idempotency_key("BTC_USDT", "swing:conservative", "BUY", MEMORY)
    later = replace(MEMORY, last_sent_at=T0 + timedelta(minutes=30))
    after_reset = replace(MEMORY, last_sent_at=None, reset_at=T0 + timedelta(hours=1))
    keys = {
        first,
        after_send,
        alert_idempotency_key("BTC_USDT", "swing:conservative", "BUY", later),
        alert_idempotency_key("BTC_USDT", "swing:conservative", "BUY", after_reset),
        alert_idempotency_key("BTC_USDT", "swing:conservative", "SELL", MEMORY),
    }
    assert len(keys) == 5
    assert all(len(k) <= 128 for k in keys)


def test_client_oid_fits_the_exchange_limit_and_is_stable() -> None:
    intent_key = intent_idempotency_key(alert_idempotency_key("X_USDT", "a:b", "BUY", None))
    oid = client_oid_for(intent_key)
    assert len(oid) <= 36
    assert oid == client_oid_for(intent_key)
    assert oid != client_oid_for(intent_key + "x")


def test_config_hash_ignores_number_spelling_but_not_values() -> None:
    base = {"alert_cooldown_minutes": Decimal("15.000000"), "preset": "swing:conservative"}
    same = {"alert_cooldown_minutes": Decimal("15"), "preset": "swing:conservative"}
    other = {"alert_cooldown_minutes": Decimal("16"), "preset": "swing:conservative"}
    assert symbol_config_hash(base, 1) == symbol_config_hash(same, 1)
    assert symbol_config_hash(base, 1) != symbol_config_hash(other, 1)
    assert symbol_config_hash(base, 1) != symbol_config_hash(base, 2)  # preset edited


def test_stale_rows_are_those_with_another_or_no_hash() -> None:
    rows = [
        MEMORY,
        replace(MEMORY, id=2, config_hash=None),
        replace(MEMORY, id=3, config_hash="new"),
    ]
    assert [m.id for m in stale_rows(rows, "new")] == [1, 2]


def _blocked(reason: str, gate: str, side: str = "BUY") -> SymbolDecision:
    decision = SymbolDecision("BTC_USDT", "c1", T0, "k", side=side)
    decision.alert_gates = [GateResult(gate, False, reason, "detail")]
    return decision


def test_blocked_ledger_row_only_when_side_reason_changes() -> None:
    memory, row = next_ledger_reasons(_blocked("THROTTLED_TIME_GATE", "THROTTLED_TIME_GATE"), None)
    assert row is not None and memory == {"BUY": "THROTTLED_TIME_GATE"}
    previous = PreviousState(None, None, memory)
    memory, row = next_ledger_reasons(
        _blocked("THROTTLED_TIME_GATE", "THROTTLED_TIME_GATE"), previous
    )
    assert row is None
    memory, row = next_ledger_reasons(
        _blocked("THROTTLED_PRICE_GATE", "THROTTLED_PRICE_GATE"), PreviousState(None, None, memory)
    )
    assert row is not None and memory == {"BUY": "THROTTLED_PRICE_GATE"}


def test_a_sent_alert_clears_its_side_and_no_signal_is_never_a_ledger_row() -> None:
    sent = SymbolDecision("BTC_USDT", "c2", T0, "k", side="BUY")
    sent.alert_gates = [GateResult("NO_SIGNAL", True)]
    memory, row = next_ledger_reasons(sent, PreviousState(None, None, {"BUY": "X", "SELL": "Y"}))
    assert row is None and memory == {"SELL": "Y"}
    none = _blocked("NO_SIGNAL:BUY(rsi_below)", "NO_SIGNAL", side="NONE")
    assert next_ledger_reasons(none, None)[1] is None


def test_stale_is_recorded_once_per_episode() -> None:
    stale = _blocked("MARKET_DATA_STALE", "MARKET_DATA_STALE", side="NONE")
    memory, row = next_ledger_reasons(stale, None)
    assert row is not None and memory == {"NONE": "MARKET_DATA_STALE"}
    assert next_ledger_reasons(stale, PreviousState(None, None, memory))[1] is None
    fresh = _blocked("NO_SIGNAL:x", "NO_SIGNAL", side="NONE")
    memory, _ = next_ledger_reasons(fresh, PreviousState(None, None, memory))
    assert memory == {}
