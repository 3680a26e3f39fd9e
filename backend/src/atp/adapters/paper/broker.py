"""`PaperBroker`: the broker port on a simulated account kept in the database.

Market entries fill at once at the latest price with slippage and a fee; OCO legs and stops
wait in the book and fill when a later price reaches them (`evaluate`). Every call first
brings the book up to the latest prices in its own short transaction, so the sync's periodic
`open_orders` / `fills` reads are enough to drive triggers; `evaluate` can also be called
explicitly each round. The account survives restarts: it lives in `paper_*` tables.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from atp.adapters.paper import store
from atp.adapters.paper.book import PaperBook
from atp.adapters.paper.config import PaperConfig
from atp.adapters.paper.prices import DbPriceSource, PriceSource, load_rules
from atp.adapters.paper.rules import (
    DUPLICATE_CLORDID,
    INVALID_INSTRUMENT,
    NO_PRICE,
    NOT_FOUND,
    refuse,
)
from atp.core.retry import RetryClass
from atp.db.base import utcnow
from atp.db.session import unit_of_work
from atp.orders.ports import (
    Accepted,
    Balance,
    BrokerError,
    Fill,
    InstrumentRules,
    MarketEntry,
    OrderState,
    ProtectionOco,
    StopOrder,
)
from atp.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
Work = Callable[[Session, PaperBook, datetime], T]


class PaperBroker:
    name = "paper"

    def __init__(
        self,
        sessions: sessionmaker[Session],
        prices: PriceSource,
        *,
        config: PaperConfig | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._prices = prices
        self._config = config or PaperConfig()
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, sessions: sessionmaker[Session]) -> PaperBroker:
        """The production wiring: prices from `market_prices`, knobs from PAPER_* settings."""
        config = PaperConfig.from_settings(settings)
        prices = DbPriceSource(sessions, max_age_seconds=config.price_max_age_seconds)
        return cls(sessions, prices, config=config)

    # --- the port: writes ------------------------------------------------------------------
    async def instrument(self, symbol: str) -> InstrumentRules:
        def work(session: Session, _book: PaperBook, _now: datetime) -> InstrumentRules:
            return self._rules(session, symbol, self._prices.latest_price(symbol))

        return await self._call(work, evaluate=False)

    async def place_market_entry(self, entry: MarketEntry) -> Accepted:
        def work(session: Session, book: PaperBook, now: datetime) -> Accepted:
            self._check_unused(session, entry.client_oid)
            last = self._price(entry.symbol)
            order = book.market_entry(entry, self._rules(session, entry.symbol, last), last, now)
            log.info(
                "[PAPER_FILL] %s %s %s qty=%s avg=%s fee=%s",
                order.order_id,
                entry.side,
                entry.symbol,
                order.cumulative_quantity,
                order.avg_price,
                order.cumulative_fee,
            )
            return Accepted(order_id=order.order_id, client_oid=order.client_oid)

        return await self._call(work)

    async def place_oco(self, oco: ProtectionOco) -> Accepted:
        def work(session: Session, book: PaperBook, now: datetime) -> Accepted:
            self._check_unused(session, oco.tp_client_oid, oco.sl_client_oid)
            last = self._price(oco.symbol)
            tp, _sl = book.place_oco(oco, self._rules(session, oco.symbol, last), last, now)
            return Accepted(list_id=tp.list_id)

        return await self._call(work)

    async def place_stop(self, stop: StopOrder) -> Accepted:
        def work(session: Session, book: PaperBook, now: datetime) -> Accepted:
            self._check_unused(session, stop.client_oid)
            last = self._price(stop.symbol)
            order = book.place_stop(stop, self._rules(session, stop.symbol, last), last, now)
            return Accepted(order_id=order.order_id, client_oid=order.client_oid)

        return await self._call(work)

    async def cancel(self, order: OrderState) -> None:
        def work(session: Session, book: PaperBook, now: datetime) -> None:
            row = store.order_by_id(session, order.order_id)
            if row is None and order.client_oid:
                row = store.order_by_client_oid(session, order.client_oid)
            if row is None:
                raise refuse(NOT_FOUND, f"no paper order {order.order_id}")
            book.cancel(row, now)

        await self._call(work)

    async def cancel_list(self, list_id: str) -> None:
        def work(session: Session, book: PaperBook, now: datetime) -> None:
            legs = store.orders_in_list(session, list_id)
            if not legs:
                raise refuse(NOT_FOUND, f"no paper order list {list_id}")
            for leg in legs:
                book.cancel(leg, now)

        await self._call(work)

    # --- the port: reads -------------------------------------------------------------------
    async def order_by_client_oid(
        self, client_oid: str, *, advanced: bool | None = None
    ) -> OrderState | None:
        # One book holds every kind: the namespace hint changes nothing here.
        def work(session: Session, _book: PaperBook, _now: datetime) -> OrderState | None:
            row = store.order_by_client_oid(session, client_oid)
            return None if row is None else store.to_order_state(row)

        return await self._call(work)

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        def work(session: Session, _book: PaperBook, _now: datetime) -> list[OrderState]:
            return [store.to_order_state(row) for row in store.open_orders(session, symbol)]

        return await self._call(work)

    async def fills(self, since: datetime, symbol: str | None = None) -> list[Fill]:
        def work(session: Session, _book: PaperBook, _now: datetime) -> list[Fill]:
            return [store.to_fill(row) for row in store.fills_since(session, since, symbol)]

        return await self._call(work)

    async def balances(self) -> list[Balance]:
        def work(_session: Session, book: PaperBook, _now: datetime) -> list[Balance]:
            return store.balances(book)

        return await self._call(work)

    async def aclose(self) -> None:
        return None  # the session factory belongs to the caller

    # --- later prices ----------------------------------------------------------------------
    async def evaluate(self, now: datetime | None = None) -> list[Fill]:
        """Fill the open orders the latest prices reach (OCO siblings are cancelled); returns
        the new fills. Every other call does this first, so calling it is optional."""
        return await asyncio.to_thread(self._evaluate, now or self._clock())

    def _evaluate(self, now: datetime) -> list[Fill]:
        with unit_of_work(self._sessions) as session:
            book = store.open_book(session, self._config, now)
            symbols = sorted({order.symbol for order in book.open_orders})
            prices: dict[str, Decimal] = {}
            for symbol in symbols:
                price = self._prices.latest_price(symbol)
                if price is not None:
                    prices[symbol] = price
            rules = {s: r for s in prices if (r := load_rules(session, s, prices[s]))}
            fills = book.evaluate(prices, rules, now)
            store.save_book(session, book, now)
            for fill in fills:
                log.info(
                    "[PAPER_FILL] %s %s %s qty=%s price=%s",
                    fill.order.order_id,
                    fill.side,
                    fill.symbol,
                    fill.quantity,
                    fill.price,
                )
            return [store.to_fill(fill) for fill in fills]

    # --- plumbing --------------------------------------------------------------------------
    async def _call(self, work: Work[T], *, evaluate: bool = True) -> T:
        return await asyncio.to_thread(self._transaction, work, evaluate)

    def _transaction(self, work: Work[T], evaluate: bool) -> T:
        if evaluate:
            self._evaluate(self._clock())
        now = self._clock()
        try:
            with unit_of_work(self._sessions) as session:
                book = store.open_book(session, self._config, now)
                result = work(session, book, now)
                store.save_book(session, book, now)
                return result
        except IntegrityError as exc:  # another writer took the client_oid first
            if "client_oid" not in str(exc.orig):
                raise
            raise BrokerError(
                "paper: client_oid already used (code 204)",
                code=DUPLICATE_CLORDID,
                retry=RetryClass.RECONCILE,
            ) from exc

    def _check_unused(self, session: Session, *client_oids: str) -> None:
        used = store.used_client_oids(session, client_oids)
        if used:
            raise BrokerError(
                f"paper: client_oid {used[0]} already used (code 204)",
                code=DUPLICATE_CLORDID,
                retry=RetryClass.RECONCILE,
            )

    def _price(self, symbol: str) -> Decimal:
        price = self._prices.latest_price(symbol)
        if price is None or price <= 0:
            raise BrokerError(
                f"paper: no fresh price for {symbol} (code 207)",
                code=NO_PRICE,
                retry=RetryClass.BACKOFF,
            )
        return price

    def _rules(self, session: Session, symbol: str, price: Decimal | None) -> InstrumentRules:
        rules = load_rules(session, symbol, price)
        if rules is None:
            raise refuse(INVALID_INSTRUMENT, f"unknown instrument {symbol!r}")
        return rules
