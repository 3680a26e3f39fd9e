"""The order flow: a PENDING intent becomes one market entry, then protection (atp.orders.protection).

Entry rules (docs/orders.md):
- the limits are re-checked in the transaction that commits SUBMITTING (atp.orders.checks);
- SUBMITTING is committed, with the intent's deterministic client_oid, BEFORE the request;
- the entry request is sent at most once per intent. After SUBMITTING the intent is only ever
  looked up by client_oid: found -> it goes on; never seen within ORDERS_LOOKUP_GRACE_SECONDS
  -> FAILED (a fill that shows up later revives it, see atp.orders.sync);
- a refusal (retry class NO) ends it REJECTED; any other failure (timeout, 5xx, unknown
  outcome) leaves it SUBMITTING, to be looked up on the next tick.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
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
        """Drive every working intent one step further (oldest first)."""
        report = FlowReport()
        with self.rt.sessions() as session:
            ids = list(
                session.scalars(
                    select(OrderIntent.id)
                    .where(OrderIntent.status.in_(states.WORKING_STATES))
                    .order_by(OrderIntent.id)
                )
            )
        for intent_id in ids:
            try:
                final = await self.advance(intent_id)
            except BrokerAuthError:
                raise  # a global problem: the worker reports it and retries next tick
            except BrokerError as exc:
                report.errors += 1
                report.last_error = short_error(exc)
                log.warning("[ORDERS] intent %s: %s (retrying next tick)", intent_id, exc)
                continue
            report.advanced += 1
            report.transitions[final] = report.transitions.get(final, 0) + 1
        return report

    async def advance(self, intent_id: int) -> str:
        """Move one intent as far as it can go now; returns its status afterwards."""
        status = self._status(intent_id)
        if status == states.PENDING:
            status = await self._submit(intent_id)
        if status in (states.SUBMITTING, states.SUBMITTED):
            status = await self._confirm_entry(intent_id)
        if status in (states.FILLED, states.PROTECTING, states.FLATTENING):
            status = await self.protector.advance(intent_id)
        return status

    def _status(self, intent_id: int) -> str:
        with self.rt.sessions() as session:
            return session.get_one(OrderIntent, intent_id).status

    async def _submit(self, intent_id: int) -> str:
        rt = self.rt
        with rt.tx() as session:
            intent = session.get_one(OrderIntent, intent_id)
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

    async def _confirm_entry(self, intent_id: int) -> str:
        rt = self.rt
        with rt.sessions() as session:
            intent = session.get_one(OrderIntent, intent_id)
            client_oid, submitted_at = intent.client_oid, intent.submitted_at
        state = await rt.lookup(client_oid, until_terminal=True)
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

    def _note_error(self, intent_id: int, exc: BaseException) -> None:
        log.warning("[ORDERS] intent %s entry outcome unknown (%s); looked up", intent_id, exc)
        with self.rt.tx() as session:
            session.get_one(OrderIntent, intent_id).error_message = short_error(exc)
