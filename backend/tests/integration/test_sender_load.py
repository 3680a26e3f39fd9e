"""Done-when: 200 alerts for 3 chats through the real sender and PTB against the fake, with
30 % injected 429 / 5xx / timeouts: each delivered exactly once, in order per chat, and the
fake's log shows no configured pacing limit exceeded."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.fakes.fake_telegram import Chaos, FakeTelegram
from tests.fakes.telegram_rules import pacing_violations
from tests.integration.alerts_support import (
    FAST_LIMITS,
    enqueue,
    rows,
    run_until_drained,
    telegram_settings,
    telegram_worker,
)

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

CHATS = ["1001", "1002", "-100777"]  # two private chats and one group (20/min rule, scaled)


@pytest.mark.slow
async def test_200_alerts_3_chats_30_percent_faults_exactly_once_in_order_paced(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    expected: dict[str, list[str]] = {chat: [] for chat in CHATS}
    for n in range(200):
        expected[CHATS[n % 3]].append(f"<b>BUY</b> alert #{n:03d} for {CHATS[n % 3]}")
    with FakeTelegram() as fake:
        for chat, texts in expected.items():
            enqueue(sessions, chat, texts)
        # Timeouts: the client gives up at 0.2 s, the fake drops the slow request after 0.4 s.
        # (A timeout AFTER Telegram accepted would be ambiguous; see docs/alerts.md.)
        fake.set_chaos("sendMessage", Chaos(rate=0.3, retry_after=1, slow_delay=0.4))
        settings = telegram_settings(db_url, tmp_path, fake)
        worker = telegram_worker(sessions, settings, timeout=0.2)
        elapsed = await run_until_drained(sessions, worker, timeout=45)

        for chat, texts in expected.items():
            visible = [t.replace("<b>", "").replace("</b>", "") for t in texts]
            assert fake.texts(chat) == visible, f"chat {chat}: not exactly once / not in order"
        statuses = Counter(c.status for c in fake.calls_of("sendMessage"))
        assert statuses[200] == 200
        assert (
            statuses[429] > 5
            and statuses[500] + statuses[502] > 5
            and statuses[0] + statuses[504] > 5
        )
        violations = pacing_violations(
            fake.sends(),
            per_chat_interval=FAST_LIMITS.per_chat_interval,
            group_max=FAST_LIMITS.group_max,
            group_window=FAST_LIMITS.group_window,
            global_max=FAST_LIMITS.global_max,
            global_window=FAST_LIMITS.global_window,
        )
        assert violations == []
    ledger = rows(sessions)
    assert len(ledger) == 200 and {r.status for r in ledger} == {"SENT"}
    delivered_ids = {
        (m["chat_id"], m["message_id"]) for chat in CHATS for m in fake.delivered[chat]
    }
    assert {(r.chat_id, r.telegram_message_id) for r in ledger} == delivered_ids
    print(f"200 alerts with faults drained in {elapsed:.2f}s; calls={dict(statuses)}")
