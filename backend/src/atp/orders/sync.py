"""Reconcile with the exchange: our working orders, OCO siblings, fills, closed positions.

Every pass (docs/orders.md, "Sync"):
1. open orders = the broker's union of plain and advanced open orders (spec §13.4); each of our
   mirror rows still OPEN is refreshed from it, or, when it left the open list, from
   `order_by_client_oid` (its final state);
2. when an OCO leg filled (even partly), its sibling row is marked CANCELED: the exchange cancels
   it itself, and we never send a cancel for an old sibling (spec §13.5);
3. fills since the newest recorded one (minus an overlap) go to the fill ledger
   (atp.orders.positions.record_fills, deduplicated by trade_id); a fill of an entry whose intent
   had been given up (FAILED: never seen by client_oid) revives it, so it gets protected. A fired
   trigger's fills carry its spot child's id (spec §9.6): the refresh of the leg learns that id,
   so they are booked on the leg's intent. What is left below one quantity tick (a BUY fee
   taken in the base currency) is dust, not an open position;
4. a PROTECTED intent whose stop-loss or take-profit filled is CLOSED (a leg reported CANCELED
   with its whole quantity executed counts as filled, spec §9.6).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from atp.orders import states
from atp.orders.models import ExchangeOrder, FillRecord, OrderIntent
from atp.orders.notices import notify_position_closed, position_closed_content
from atp.orders.plan import remaining_quantity
from atp.orders.ports import BrokerError, Fill, OrderState, OrderStatus
from atp.orders.positions import FillOutcome, record_fills
from atp.orders.records import apply_state, clip, critical_alert
from atp.orders.runtime import OrderRuntime

log = logging.getLogger(__name__)
FILL_OVERLAP = timedelta(minutes=10)
FIRST_FILL_WINDOW = timedelta(hours=24)
SIBLING_CANCELLED = "OCO_SIBLING_FILLED: cancelled by the exchange"


@dataclass
class SyncReport:
    refreshed: int = 0
    siblings_cancelled: int = 0
    new_fills: int = 0
    revived: int = 0
    closed: int = 0
    positions_closed: int = 0
    open_orders: list[OrderState] = field(default_factory=list)


class OrderSync:
    def __init__(self, rt: OrderRuntime) -> None:
        self.rt = rt
        # Intent id by the spot child id of a fired trigger leg (spec §9.6): the exchange books
        # the exit trade under the child's id, which no mirror row carries.
        self._child_intents: dict[str, int] = {}

    async def run_once(self) -> SyncReport:
        report = SyncReport(open_orders=await self.rt.broker.open_orders())
        await self._refresh_orders(report)
        await self._sync_fills(report)
        self._close_finished(report)
        return report

    async def _refresh_orders(self, report: SyncReport) -> None:
        with self.rt.sessions() as session:
            rows = session.execute(
                select(
                    ExchangeOrder.id, ExchangeOrder.exchange_order_id, ExchangeOrder.client_oid
                ).where(ExchangeOrder.status == states.OPEN)
            ).all()
        open_by_id = {state.order_id: state for state in report.open_orders}
        updates: list[tuple[int, OrderState]] = []
        for row_id, order_id, client_oid in rows:
            state = open_by_id.get(order_id)
            if state is None and client_oid:
                state = await self.rt.broker.order_by_client_oid(client_oid)
            if state is not None:
                updates.append((row_id, state))
        if not updates:
            return
        with self.rt.tx() as session:
            for row_id, state in updates:
                row = session.get_one(ExchangeOrder, row_id)
                if row.status != states.OPEN:
                    continue
                apply_state(row, state)
                report.refreshed += 1
                if state.child_order_id and row.intent_id is not None:
                    self._child_intents[state.child_order_id] = row.intent_id
                    _claim_child_fills(session, state.child_order_id, row.intent_id)
                if row.list_id and state.cumulative_quantity > 0:
                    report.siblings_cancelled += _mark_siblings(session, row)

    async def _sync_fills(self, report: SyncReport) -> None:
        with self.rt.sessions() as session:
            newest = session.scalar(select(func.max(FillRecord.traded_at)))
        since = self.rt.now() - FIRST_FILL_WINDOW if newest is None else newest - FILL_OVERLAP
        fills = await self.rt.broker.fills(since)
        if not fills:
            return
        dust = await self._dust_below({f.symbol for f in fills})
        with self.rt.tx() as session:
            intent_ids = _intent_ids(session, fills)
            for fill in fills:
                if fill.order_id in self._child_intents:
                    intent_ids.setdefault(fill.order_id, self._child_intents[fill.order_id])
            applied = record_fills(session, fills, intent_ids, dust_below=dust)
            report.new_fills += len(applied)
            for fill, outcome in applied:
                if outcome.closed:
                    report.positions_closed += 1
                    _notify_closed(session, self.rt, fill, outcome)
            report.revived += _revive_late_entries(session, self.rt, [f for f, _ in applied])

    async def _dust_below(self, symbols: set[str]) -> dict[str, Decimal]:
        """The quantity tick per symbol: what is left below it cannot be sold, so it is no
        position. A BUY whose fee is taken in the base currency leaves such a remainder after
        the exit sold the (tick-floored) holding; without this the position would never close."""
        ticks: dict[str, Decimal] = {}
        for symbol in sorted(symbols):
            try:
                ticks[symbol] = (await self.rt.broker.instrument(symbol)).qty_tick
            except BrokerError as exc:  # the fills are still recorded; only dust stays open
                log.warning("[ORDERS] no quantity tick for %s: %s", symbol, exc)
        return ticks

    def _close_finished(self, report: SyncReport) -> None:
        with self.rt.tx() as session:
            intents = session.scalars(
                select(OrderIntent).where(OrderIntent.status == states.PROTECTED)
            ).all()
            for intent in intents:
                filled_leg = _filled_leg(session, intent.id)
                if filled_leg is None and remaining_quantity(session, intent) > 0:
                    continue
                intent.status = states.CLOSED
                intent.block_reason = f"{filled_leg or 'PROTECTION'}_FILLED"
                report.closed += 1
                log.info(
                    "[ORDERS] intent %s %s closed by its %s", intent.id, intent.symbol, filled_leg
                )


def _filled_leg(session: Session, intent_id: int) -> str | None:
    """The role of a protection leg that executed in full, if any.

    FILLED, or CANCELED with its whole quantity executed: a filled advanced leg is sometimes
    reported CANCELED with its cumulative quantity (spec §9.6, §13.3). Compared in Python: the
    exact decimals are not numbers to SQLite.
    """
    legs = session.execute(
        select(
            ExchangeOrder.order_role,
            ExchangeOrder.status,
            ExchangeOrder.quantity,
            ExchangeOrder.cumulative_quantity,
        ).where(
            ExchangeOrder.intent_id == intent_id,
            ExchangeOrder.order_role.in_(states.PROTECTION_ROLES),
            ExchangeOrder.status.in_((OrderStatus.FILLED, OrderStatus.CANCELED)),
        )
    ).all()
    for role, status, quantity, executed in legs:
        if status == OrderStatus.FILLED or (executed and executed >= quantity > 0):
            return str(role)
    return None


def _notify_closed(session: Session, rt: OrderRuntime, fill: Fill, outcome: FillOutcome) -> None:
    content = position_closed_content(session, fill, outcome)
    notify_position_closed(session, rt.settings, content, closing_trade_id=fill.trade_id)
    log.info(
        "[ORDERS] position %s closed by %s: realised P&L %s (fees %s)",
        fill.symbol,
        fill.order_id,
        content.realised_pnl,
        content.fees,
    )


def _claim_child_fills(session: Session, child_id: str, intent_id: int) -> None:
    """Fills of a fired trigger's child recorded before the child was known get their intent."""
    session.execute(
        update(FillRecord)
        .where(FillRecord.order_id == child_id, FillRecord.intent_id.is_(None))
        .values(intent_id=intent_id)
        .execution_options(synchronize_session=False)
    )


def _mark_siblings(session: Session, row: ExchangeOrder) -> int:
    siblings = session.scalars(
        select(ExchangeOrder).where(
            ExchangeOrder.list_id == row.list_id,
            ExchangeOrder.id != row.id,
            ExchangeOrder.status.in_((states.OPEN, OrderStatus.CANCELED)),
            ExchangeOrder.reject_reason.is_(None),
        )
    ).all()
    for sibling in siblings:
        sibling.status = str(OrderStatus.CANCELED)
        sibling.reject_reason = SIBLING_CANCELLED
    return len(siblings)


def _intent_ids(session: Session, fills: list[Fill]) -> dict[str, int]:
    """Intent id by exchange order id, from our mirror rows and the intents' entry client_oids."""
    order_ids = {f.order_id for f in fills}
    rows = session.execute(
        select(ExchangeOrder.exchange_order_id, ExchangeOrder.intent_id).where(
            ExchangeOrder.exchange_order_id.in_(order_ids), ExchangeOrder.intent_id.is_not(None)
        )
    ).all()
    found: dict[str, int] = {order_id: intent_id for order_id, intent_id in rows if intent_id}
    oids = {f.client_oid for f in fills if f.client_oid and f.order_id not in found}
    if oids:
        pairs = session.execute(
            select(OrderIntent.client_oid, OrderIntent.id).where(OrderIntent.client_oid.in_(oids))
        ).all()
        by_oid: dict[str | None, int] = {row[0]: row[1] for row in pairs}
        for f in fills:
            if f.client_oid in by_oid:
                found.setdefault(f.order_id, by_oid[f.client_oid])
    return found


def _revive_late_entries(session: Session, rt: OrderRuntime, fills: list[Fill]) -> int:
    oids = {f.client_oid for f in fills if f.client_oid}
    if not oids:
        return 0
    given_up = session.scalars(
        select(OrderIntent).where(
            OrderIntent.client_oid.in_(oids), OrderIntent.status == states.FAILED
        )
    ).all()
    for intent in given_up:
        intent.status, intent.submitted_at = states.SUBMITTED, rt.now()  # a new grace period
        intent.block_reason = clip(f"LATE_FILL: revived from {intent.block_reason}")
        critical_alert(
            session,
            rt.settings,
            intent,
            "LATE_ENTRY_FILL",
            "an entry given up as never seen has filled; protecting it now",
        )
    return len(given_up)
