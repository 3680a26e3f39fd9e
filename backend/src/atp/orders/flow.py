"""The order flow: a PENDING intent becomes one market entry, then protection (atp.orders.protection).

Entry rules (docs/orders.md):
- the limits are re-checked in the transaction that commits SUBMITTING (atp.orders.checks);
- SUBMITTING is committed, with the intent's deterministic client_oid, BEFORE the request;
- an entry whose outcome is unknown is never sent again. After SUBMITTING the intent is only
  looked up by client_oid: found -> it goes on; never seen within ORDERS_LOOKUP_GRACE_SECONDS
  -> FAILED (a fill that shows up later revives it, see atp.orders.sync);
- a refusal (retry class NO) ends it REJECTED; a refusal for now (BACKOFF: nothing was placed)
  makes it PENDING again, sent on a later tick with the same client_oid after the same checks;
  any other failure (timeout, 5xx, RECONCILE, a crash) leaves it SUBMITTING, to be looked up.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from atp.alerts.formatting import OrderFilledContent
from atp.core.errors import short_error
from atp.core.formatting import round_quantity
from atp.core.retry import RetryClass
from atp.orders import states
from atp.orders.checks import entry_verdict
from atp.orders.models import OrderIntent
from atp.orders.notices import notify_order_filled
from atp.orders.ports import BrokerAuthError, BrokerError, MarketEntry, OrderState
from atp.orders.positions import ProtectionStatus
from atp.orders.protection import Protector
from atp.orders.records import clip, mark_position, record_order
from atp.orders.runtime import OrderRuntime

log = logging.getLogger(__name__)
NOTIONAL_STEP = Decimal("0.01")  # USD / USDT quotes (spec §15.15)
PROTECTION_STATES = (states.FILLED, states.PROTECTING, states.FLATTENING)


@dataclass
class FlowReport:
    advanced: int = 0
    errors: int = 0
    last_error: str | None = None
    transitions: dict[str, int] = field(default_factory=dict)


class OrderFlow:
    def __init__(self, rt: OrderRuntime) -> None:
        self.rt = rt
        self.protector = Protector(rt)

    async def run_once(self) -> FlowReport:
        """Drive every working intent as far as it can go now, in three rounds (oldest first).

        1. every PENDING intent is checked, committed SUBMITTING and its entry sent: the entries
           of a burst go out back to back instead of each waiting for the previous one's fill
           and protection;
        2. every SUBMITTING / SUBMITTED entry is read back by client_oid, all of them sharing one
           polling budget, and each fill is committed as soon as it is seen;
        3. every filled intent is protected (or its protection confirmed, or it is flattened).

        One intent at a time within each round: each step is a few sequential requests, and the
        rate limiter spaces them anyway. A broker error stops that intent for this tick only.
        """
        report = FlowReport()
        ids = self._working_ids()
        failed: set[int] = set()
        for intent_id in self._in_states(ids, (states.PENDING,)):
            await self._guarded(report, failed, intent_id, self._submit)
        entries = self._in_states(ids, (states.SUBMITTING, states.SUBMITTED))
        await self._confirm_entries([i for i in entries if i not in failed], report, failed)
        for intent_id in self._in_states(ids, PROTECTION_STATES):
            if intent_id not in failed:
                await self._guarded(report, failed, intent_id, self.protector.advance)
        for status in self._statuses([i for i in ids if i not in failed]).values():
            report.advanced += 1
            report.transitions[status] = report.transitions.get(status, 0) + 1
        return report

    async def _guarded(
        self,
        report: FlowReport,
        failed: set[int],
        intent_id: int,
        step: Callable[[int], Awaitable[str]],
    ) -> None:
        try:
            await step(intent_id)
        except BrokerAuthError:
            raise  # a global problem: the worker reports it and retries next tick
        except BrokerError as exc:
            self._tick_error(report, failed, [intent_id], exc)

    def _tick_error(
        self, report: FlowReport, failed: set[int], intent_ids: list[int], exc: BrokerError
    ) -> None:
        report.errors += 1
        report.last_error = short_error(exc)
        failed.update(intent_ids)
        log.warning("[ORDERS] intent(s) %s: %s (retrying next tick)", intent_ids, exc)

    def _working_ids(self) -> list[int]:
        with self.rt.sessions() as session:
            return list(
                session.scalars(
                    select(OrderIntent.id)
                    .where(OrderIntent.status.in_(states.WORKING_STATES))
                    .order_by(OrderIntent.id)
                )
            )

    def _statuses(self, intent_ids: list[int]) -> dict[int, str]:
        if not intent_ids:
            return {}
        with self.rt.sessions() as session:
            rows = session.execute(
                select(OrderIntent.id, OrderIntent.status).where(OrderIntent.id.in_(intent_ids))
            ).all()
        return {row.id: row.status for row in rows}

    def _in_states(self, intent_ids: list[int], wanted: tuple[str, ...]) -> list[int]:
        """Those of `intent_ids` now in one of `wanted` (re-read: an earlier round moved them)."""
        statuses = self._statuses(intent_ids)
        return [i for i in intent_ids if statuses.get(i) in wanted]

    def _status(self, intent_id: int) -> str:
        with self.rt.sessions() as session:
            return session.get_one(OrderIntent, intent_id).status

    async def _submit(self, intent_id: int) -> str:
        rt = self.rt
        with rt.tx() as session:
            # Row lock: a concurrent writer (the monitor expiring or the sender cancelling this
            # intent) either commits first and is seen here, or waits for SUBMITTING.
            intent = session.get_one(OrderIntent, intent_id, with_for_update=True)
            if intent.status != states.PENDING:
                return intent.status
            now = rt.now()
            verdict = entry_verdict(session, intent, rt.settings, now)
            if verdict.wait:
                return states.PENDING
            if verdict.status is not None:
                intent.status, intent.block_reason = verdict.status, clip(verdict.reason or "")
                log.info("[ORDERS] intent %s %s: %s", intent.id, verdict.status, verdict.reason)
                return intent.status
            assert intent.amount_usd is not None  # checked by entry_verdict
            entry = MarketEntry(
                client_oid=intent.client_oid,
                symbol=intent.symbol,
                side="BUY",
                notional=round_quantity(intent.amount_usd, NOTIONAL_STEP),
            )
            intent.status, intent.submitted_at = states.SUBMITTING, now
        return await self._send_entry(intent_id, entry)

    async def _send_entry(self, intent_id: int, entry: MarketEntry) -> str:
        try:
            accepted = await self.rt.broker.place_market_entry(entry)
        except BrokerError as exc:
            if exc.retry is RetryClass.NO:
                self._end(intent_id, states.REJECTED, f"ENTRY_REFUSED:{exc.code}: {exc}")
                if isinstance(exc, BrokerAuthError):
                    raise
                return states.REJECTED
            if exc.retry is RetryClass.BACKOFF:
                return self._retry_later(intent_id, exc)
            self._note_error(intent_id, exc)  # outcome unknown: looked up, never resent
            return states.SUBMITTING
        except Exception as exc:  # transport failure, timeout: the request may have landed
            self._note_error(intent_id, exc)
            return states.SUBMITTING
        with self.rt.tx() as session:
            intent = session.get_one(OrderIntent, intent_id)
            if intent.status == states.SUBMITTING:
                intent.status = states.SUBMITTED
                intent.exchange_order_id = accepted.order_id
            return intent.status

    async def _confirm_entries(
        self, intent_ids: list[int], report: FlowReport, failed: set[int]
    ) -> None:
        """Read the entries back by client_oid (plain orders), one polling budget for all."""
        if not intent_ids:
            return
        rt = self.rt
        with rt.sessions() as session:
            rows = session.execute(
                select(OrderIntent.client_oid, OrderIntent.id, OrderIntent.submitted_at).where(
                    OrderIntent.id.in_(intent_ids)
                )
            ).all()
        sent = {
            client_oid: (intent_id, submitted_at) for client_oid, intent_id, submitted_at in rows
        }
        unread = set(sent)
        try:
            async for client_oid, state in rt.read_back(list(sent), True, False):
                unread.discard(client_oid)
                intent_id, submitted_at = sent[client_oid]
                self._entry_read(intent_id, client_oid, submitted_at, state)
        except BrokerAuthError:
            raise
        except BrokerError as exc:  # a failed read: those not read yet wait for the next tick
            self._tick_error(report, failed, sorted(sent[oid][0] for oid in unread), exc)

    def _entry_read(
        self,
        intent_id: int,
        client_oid: str,
        submitted_at: datetime | None,
        state: OrderState | None,
    ) -> str:
        rt = self.rt
        if state is None:
            waited = rt.now() - (submitted_at or rt.now())
            if waited > timedelta(seconds=rt.settings.orders_lookup_grace_seconds):
                return self._end(
                    intent_id,
                    states.FAILED,
                    f"ENTRY_NOT_FOUND: no order with client_oid {client_oid} after "
                    f"{waited.total_seconds():.0f} s; not resent",
                )
            return self._status(intent_id)
        if not state.status.is_terminal:
            return self._status(intent_id)  # still working (a market order fills at once)
        return self._entry_done(intent_id, state)

    def _entry_done(self, intent_id: int, state: OrderState) -> str:
        with self.rt.tx() as session:
            intent = session.get_one(OrderIntent, intent_id)
            if intent.status not in (states.SUBMITTING, states.SUBMITTED, states.FAILED):
                return intent.status
            record_order(
                session, state, intent_id=intent.id, role=states.ENTRY, parent_order_id=None
            )
            intent.exchange_order_id = state.order_id
            if state.cumulative_quantity <= 0:
                intent.status = states.REJECTED
                intent.block_reason = clip(f"ENTRY_{state.status}: {state.reject_reason or '-'}")
                return intent.status
            intent.status = states.FILLED
            intent.filled_quantity = state.cumulative_quantity
            intent.avg_fill_price = state.avg_price
            intent.filled_at = self.rt.now()
            intent.block_reason = None
            mark_position(session, intent.symbol, ProtectionStatus.NAKED, self.rt.now())
            notify_order_filled(
                session,
                self.rt.settings,
                OrderFilledContent(
                    symbol=intent.symbol,
                    side=state.side,
                    price=state.avg_price or Decimal(0),
                    quantity=state.cumulative_quantity,
                    order_id=state.order_id,
                    filled_at=intent.filled_at,
                ),
                correlation_id=intent.correlation_id,
            )
            log.info(
                "[ORDERS] intent %s %s entry filled qty=%s avg=%s",
                intent.id,
                intent.symbol,
                state.cumulative_quantity,
                state.avg_price,
            )
            return intent.status

    def _end(self, intent_id: int, status: str, reason: str) -> str:
        with self.rt.tx() as session:
            intent = session.get_one(OrderIntent, intent_id)
            intent.status, intent.block_reason = status, clip(reason)
        log.warning("[ORDERS] intent %s %s: %s", intent_id, status, reason)
        return status

    def _retry_later(self, intent_id: int, exc: BrokerError) -> str:
        """The exchange refused for now and placed nothing (spec §10.1 "Backoff": throttled
        after the client's retries, maintenance, no or stale mark price, market not open).

        PENDING again: the next tick re-checks the limits and the TTL and sends the same request
        with the same client_oid (were it on the exchange after all, the resend would be refused
        with 204 and looked up). An unknown outcome is never classed BACKOFF for a write (the
        private client turns it into RECONCILE), so this never sends a second entry.
        """
        reason = f"ENTRY_BACKOFF:{exc.code}: {short_error(exc)}"
        with self.rt.tx() as session:
            intent = session.get_one(OrderIntent, intent_id)
            if intent.status != states.SUBMITTING:
                return intent.status
            intent.status, intent.submitted_at = states.PENDING, None
            intent.error_message = clip(reason)
        log.warning(
            "[ORDERS] intent %s entry refused for now (%s); resent next tick", intent_id, reason
        )
        return states.PENDING

    def _note_error(self, intent_id: int, exc: BaseException) -> None:
        log.warning("[ORDERS] intent %s entry outcome unknown (%s); looked up", intent_id, exc)
        with self.rt.tx() as session:
            session.get_one(OrderIntent, intent_id).error_message = short_error(exc)
