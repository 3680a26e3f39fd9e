"""Pure pacing: per chat, per group, overall, in-flight slots and per-chat retry_after holds."""

from __future__ import annotations

import math
import random

from atp.alerts.pacing import ChatPacer, PacingLimits, is_group_chat
from tests.fakes.telegram_rules import SendRecord, pacing_violations

LIMITS = PacingLimits(
    per_chat_interval=1.0, group_max=20, group_window=60.0, global_max=30, global_window=1.0
)


def test_production_defaults_are_telegrams_limits() -> None:
    assert PacingLimits() == LIMITS


def test_one_message_per_second_per_chat() -> None:
    pacer = ChatPacer(LIMITS)
    assert pacer.wait_time("1", 0.0) == 0
    pacer.begin("1")
    assert pacer.wait_time("1", 0.5) == math.inf  # in flight: order per chat
    pacer.finish("1", 0.2)
    assert pacer.wait_time("1", 0.7) == 0.5
    assert pacer.wait_time("2", 0.7) == 0  # another chat is not affected
    assert pacer.wait_time("1", 1.2) == 0


def test_group_chat_twenty_per_minute() -> None:
    pacer = ChatPacer(LIMITS)
    for i in range(20):
        now = i * 1.0
        assert pacer.wait_time("-100", now) == 0
        pacer.begin("-100")
        pacer.finish("-100", now)
    assert math.isclose(pacer.wait_time("-100", 20.0), 40.0)  # oldest (t=0) ages out at 60
    assert pacer.wait_time("5", 20.0) == 0  # a private chat is not held by the group window
    assert is_group_chat("-100") and not is_group_chat("5")


def test_thirty_per_second_overall_counts_requests_in_flight() -> None:
    pacer = ChatPacer(LIMITS)
    for chat in range(29):
        pacer.begin(str(chat))
    pacer.finish("0", 0.5)
    assert pacer.wait_time("100", 0.6) == 0
    pacer.begin("100")
    assert math.isclose(pacer.wait_time("101", 0.6), 0.9)  # the finished one ages out at 1.5
    for chat in range(1, 29):
        pacer.cancel(str(chat))
    assert pacer.wait_time("101", 0.6) == 0


def test_all_slots_in_flight_means_wait_for_a_completion() -> None:
    pacer = ChatPacer(PacingLimits(global_max=2))
    pacer.begin("a")
    pacer.begin("b")
    assert pacer.wait_time("c", 0.0) == math.inf


def test_retry_after_holds_only_that_chat() -> None:
    pacer = ChatPacer(LIMITS)
    pacer.begin("1")
    pacer.finish("1", 0.0)
    pacer.hold("1", 7.0)
    assert math.isclose(pacer.wait_time("1", 2.0), 5.0)
    assert pacer.wait_time("2", 2.0) == 0
    assert pacer.wait_time("1", 7.0) == 0


def test_simulated_traffic_never_breaks_the_checked_limits() -> None:
    """Random latencies: receipts (between dispatch and completion) always respect the limits."""
    limits = PacingLimits(
        per_chat_interval=0.5, group_max=3, group_window=2.0, global_max=4, global_window=0.4
    )
    pacer = ChatPacer(limits)
    rng = random.Random(3)
    chats = ["1", "2", "3", "-9", "-8"]
    now, in_flight, receipts = 0.0, {}, []
    while len(receipts) < 400:
        for chat, done_at in list(in_flight.items()):
            if done_at <= now:
                pacer.finish(chat, done_at)
                del in_flight[chat]
        for chat in rng.sample(chats, len(chats)):
            if pacer.wait_time(chat, now) <= 0:
                pacer.begin(chat)
                latency = rng.uniform(0.0, 0.3)
                receipts.append(SendRecord(chat, now + rng.uniform(0, latency)))
                in_flight[chat] = now + latency
        now += 0.01
    violations = pacing_violations(
        receipts,
        per_chat_interval=0.5,
        group_max=3,
        group_window=2.0,
        global_max=4,
        global_window=0.4,
    )
    assert violations == []


def test_restored_sends_count_like_live_ones() -> None:
    """A sender that becomes active replays the ledger's recent sends (restart, takeover)."""
    pacer = ChatPacer(LIMITS)
    for i in range(20):  # 20 group messages sent by the previous sender, the last at t=29.5
        pacer.restore("-100", 10.0 + i)
    pacer.restore("-100", 29.5)  # out of order and a duplicate time: still counted
    pacer.restore("7", 99.6)
    assert math.isclose(pacer.wait_time("-100", 30.0), 41.0)  # t=11 (2nd oldest) ages out at 71
    assert math.isclose(pacer.wait_time("7", 100.0), 0.6)  # 1/s per chat across the restart
    live = ChatPacer(LIMITS)
    for i in range(30):
        live.restore(str(i), 200.0 + i / 100)
    assert live.wait_time("99", 200.5) > 0  # 30 requests in the last second: overall limit
