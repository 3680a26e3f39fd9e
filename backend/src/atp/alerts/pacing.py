"""Pure send pacing: per chat, per group chat, overall, and per-chat `retry_after` holds.

Telegram's limits (Bots FAQ): about 1 message/s in one chat, 20 messages/min in one group,
about 30 messages/s overall. PTB's AIORateLimiter has no per-chat limit and pauses *every* chat
after a 429, so the sender uses this instead. Times are monotonic seconds passed in by the caller,
so the class is deterministic and testable without sleeping.

Why windows count *completion* times: the limit applies where Telegram receives the request,
which happens somewhere between our dispatch and the response. A request in flight occupies a
slot; once done, its slot is dated at completion (never earlier than its arrival). Then no window
on the server side can ever hold more requests than the configured maximum.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class PacingLimits:
    """Rates as parameters: production defaults are Telegram's; tests scale them down."""

    per_chat_interval: float = 1.0
    group_max: int = 20
    group_window: float = 60.0
    global_max: int = 30
    global_window: float = 1.0

    @classmethod
    def unlimited(cls) -> PacingLimits:
        """For the console notifier: nothing to protect."""
        return cls(per_chat_interval=0.0, group_max=10**9, group_window=0.0, global_max=10**9)


def is_group_chat(chat_id: str) -> bool:
    """Groups and channels have negative ids (supergroups -100...); users are positive."""
    return chat_id.startswith("-")


class ChatPacer:
    """Decides when the next request to a chat may start. Not thread-safe: one event loop."""

    def __init__(self, limits: PacingLimits) -> None:
        self.limits = limits
        self._in_flight: set[str] = set()
        self._last_done: dict[str, float] = {}
        self._holds: dict[str, float] = {}
        self._global_done: deque[float] = deque()
        self._group_done: dict[str, deque[float]] = {}

    def wait_time(self, chat_id: str, now: float) -> float:
        """Seconds until a request to `chat_id` may start; `math.inf` = after a request finishes."""
        if chat_id in self._in_flight:
            return math.inf
        self._forget_old(now)
        waits = [0.0, self._holds.get(chat_id, now) - now]
        last = self._last_done.get(chat_id)
        if last is not None:
            waits.append(last + self.limits.per_chat_interval - now)
        waits.append(
            self._window_wait(
                self._global_done,
                len(self._in_flight),
                self.limits.global_max,
                self.limits.global_window,
                now,
            )
        )
        if is_group_chat(chat_id):
            group = self._group_done.get(chat_id, deque())
            waits.append(
                self._window_wait(group, 0, self.limits.group_max, self.limits.group_window, now)
            )
        return max(waits)

    def begin(self, chat_id: str) -> None:
        """A request to `chat_id` starts now (it occupies its slots until `finish`)."""
        self._in_flight.add(chat_id)

    def cancel(self, chat_id: str) -> None:
        """The request was not sent after all (e.g. another sender claimed the row)."""
        self._in_flight.discard(chat_id)

    def finish(self, chat_id: str, now: float) -> None:
        """The request to `chat_id` completed (success or error) at `now`."""
        self._in_flight.discard(chat_id)
        self._last_done[chat_id] = now
        self._global_done.append(now)
        if is_group_chat(chat_id):
            self._group_done.setdefault(chat_id, deque()).append(now)

    def restore(self, chat_id: str, done_at: float) -> None:
        """A request to `chat_id` completed at `done_at`, before this pacer existed.

        Used when a sender becomes active: it replays what the ledger says was sent in the last
        window, so a restart or a takeover does not start with an empty record.
        """
        last = self._last_done.get(chat_id)
        self._last_done[chat_id] = done_at if last is None else max(last, done_at)
        _insert_sorted(self._global_done, done_at)
        if is_group_chat(chat_id):
            _insert_sorted(self._group_done.setdefault(chat_id, deque()), done_at)

    def hold(self, chat_id: str, until: float) -> None:
        """Telegram said `retry_after` for this chat: hold only this chat until `until`."""
        self._holds[chat_id] = max(until, self._holds.get(chat_id, until))

    def in_flight(self) -> frozenset[str]:
        return frozenset(self._in_flight)

    @staticmethod
    def _window_wait(
        done: deque[float], in_flight: int, maximum: int, window: float, now: float
    ) -> float:
        """Wait until fewer than `maximum` requests are in flight or done within `window`."""
        recent = [t for t in done if t > now - window]
        occupied = in_flight + len(recent)
        if occupied < maximum:
            return 0.0
        excess = occupied - maximum  # that many (+1) recent entries must age out first
        if excess >= len(recent):
            return math.inf  # only a finishing in-flight request can free a slot
        return recent[excess] + window - now

    def _forget_old(self, now: float) -> None:
        while self._global_done and self._global_done[0] <= now - self.limits.global_window:
            self._global_done.popleft()
        for group in self._group_done.values():
            while group and group[0] <= now - self.limits.group_window:
                group.popleft()
        for chat, until in list(self._holds.items()):
            if until <= now:
                del self._holds[chat]
        # last-done times older than the interval no longer constrain anything
        for chat, last in list(self._last_done.items()):
            if last + self.limits.per_chat_interval <= now:
                del self._last_done[chat]


def _insert_sorted(times: deque[float], value: float) -> None:
    """Keep a window deque in time order (restored entries may be older than live ones)."""
    if not times or times[-1] <= value:
        times.append(value)
        return
    ordered = sorted([*times, value])
    times.clear()
    times.extend(ordered)
