"""The Crypto.com implementation of the broker port (atp.orders.ports.Broker).

Prices and quantities arrive as Decimals already on the instrument's tick; this layer only
turns them into wire text (`atp.core.formatting.to_text`) and refuses values off the tick.
Exchange errors become the port's `BrokerError` / `BrokerAuthError` with the exchange code
and the retry class, so the order flow never sees adapter types.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from atp.adapters.cryptocom.envelope import FieldError
from atp.adapters.cryptocom.errors import ExchangeAuthError, ExchangeError
from atp.adapters.cryptocom.order_rows import balances_from_result, fill_from_row, order_from_row
from atp.adapters.cryptocom.private import GOOD_TILL_CANCEL, MARK_PRICE, CryptoComPrivateClient
from atp.adapters.cryptocom.public import CryptoComPublicClient
from atp.adapters.cryptocom.ratelimit import MethodRateLimiter
from atp.adapters.cryptocom.transport import CryptoComTransport, RetryPolicy
from atp.core.formatting import notional_rounding, round_price, to_text
from atp.market.ports import InstrumentInfo
from atp.orders.ports import (
    Accepted,
    Balance,
    BrokerAuthError,
    BrokerError,
    Fill,
    InstrumentRules,
    MarketEntry,
    OrderState,
    ProtectionOco,
    StopOrder,
)
from atp.settings import Settings

NOT_FOUND_CODE = 40401
DAY_MS = 86_400_000
TRADES_PAGE = 100
MAX_TRADE_PAGES = 50


@asynccontextmanager
async def broker_errors() -> AsyncIterator[None]:
    """Adapter errors and bad input -> the port's error types (auth errors kept apart)."""
    try:
        yield
    except ExchangeAuthError as error:
        raise BrokerAuthError(str(error), code=error.code or 0, retry=error.retry_class) from error
    except ExchangeError as error:
        raise BrokerError(str(error), code=error.code or 0, retry=error.retry_class) from error
    except FieldError as error:
        raise BrokerError(f"malformed exchange answer: {error}") from error
    except ValueError as error:  # off-tick values, bad sides, unsignable shapes: nothing sent
        raise BrokerError(f"refused before sending: {error}") from error


class CryptoComBroker:
    name = "cryptocom"

    def __init__(
        self,
        private: CryptoComPrivateClient,
        public: CryptoComPublicClient,
        *,
        instruments_ttl_s: float = 3600.0,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.private = private
        self.public = public
        self._ttl = instruments_ttl_s
        self._monotonic = monotonic
        self._now = now or (lambda: datetime.now(UTC))
        self._instruments: dict[str, InstrumentInfo] = {}
        self._instrument_errors: dict[str, str] = {}
        self._loaded_at: float | None = None
        self._load_lock = asyncio.Lock()

    @classmethod
    def from_settings(
        cls, settings: Settings, *, transport: CryptoComTransport | None = None
    ) -> CryptoComBroker:
        """Live broker from EXCHANGE_API_KEY / EXCHANGE_API_SECRET and CRYPTOCOM_BASE_URL.

        Private buckets run in strict mode (never more than the documented count in any
        window); the public instrument reads share the same transport.
        """
        if not settings.exchange_credentials_set:
            raise ValueError("EXCHANGE_API_KEY and EXCHANGE_API_SECRET must both be set")
        transport = transport or CryptoComTransport(
            settings.cryptocom_base_url,
            timeout_s=settings.market_http_timeout_seconds,
            retry=RetryPolicy(
                attempts=settings.market_http_attempts,
                base_delay_s=settings.market_retry_base_delay_seconds,
            ),
            limiter=MethodRateLimiter(strict_private=True),
        )
        private = CryptoComPrivateClient(
            transport,
            api_key=settings.exchange_api_key,
            api_secret=settings.exchange_api_secret,
        )
        return cls(
            private,
            CryptoComPublicClient(transport),
            instruments_ttl_s=settings.market_instruments_refresh_seconds,
        )

    def __repr__(self) -> str:
        return f"CryptoComBroker({self.private!r})"

    async def aclose(self) -> None:
        await self.private.aclose()

    # --- instruments ------------------------------------------------------------------------

    async def instrument(self, symbol: str) -> InstrumentRules:
        async with broker_errors():
            info = await self._instrument_info(symbol)
        return InstrumentRules(
            symbol=info.symbol,
            base=info.base_ccy,
            quote=info.quote_ccy,
            price_tick=info.price_tick_size,
            qty_tick=info.qty_tick_size,
        )

    async def _instrument_info(self, symbol: str) -> InstrumentInfo:
        """Cached `public/get-instruments`; an unknown symbol forces one refresh first."""
        async with self._load_lock:
            stale = self._loaded_at is None or self._monotonic() - self._loaded_at > self._ttl
            if stale or symbol not in self._instruments:
                loaded = await self.public.get_instruments()
                self._instruments, self._instrument_errors = loaded.rows, loaded.errors
                self._loaded_at = self._monotonic()
        info = self._instruments.get(symbol)
        if info is None:
            reason = self._instrument_errors.get(symbol, "not listed by public/get-instruments")
            raise BrokerError(f"instrument {symbol}: {reason}")
        if not info.tradable:
            raise BrokerError(f"instrument {symbol} is not tradable (tradable=false)")
        return info

    # --- writes -----------------------------------------------------------------------------

    async def place_market_entry(self, entry: MarketEntry) -> Accepted:
        async with broker_errors():
            rules = await self.instrument(entry.symbol)
            quantity = _text(entry.quantity, rules.qty_tick)
            notional = _notional_text(entry.notional, rules.price_tick)
            result = await self.private.create_order(
                instrument_name=entry.symbol,
                side=entry.side,
                order_type="MARKET",
                client_oid=entry.client_oid,
                quantity=quantity,
                notional=notional,
            )
        return _accepted(result, entry.client_oid)

    async def place_oco(self, oco: ProtectionOco) -> Accepted:
        """One native OCO: LIMIT take-profit + STOP_LOSS/STOP_LIMIT on MARK_PRICE (§9.4)."""
        async with broker_errors():
            _check_oco_prices(oco)
            rules = await self.instrument(oco.symbol)
            quantity = _text(oco.quantity, rules.qty_tick)
            take_profit = {
                "instrument_name": oco.symbol,
                "side": oco.side,
                "type": "LIMIT",
                "price": _text(oco.tp_price, rules.price_tick),
                "quantity": quantity,
                "time_in_force": GOOD_TILL_CANCEL,
                "client_oid": oco.tp_client_oid,
            }
            stop = {
                "instrument_name": oco.symbol,
                "side": oco.side,
                "type": "STOP_LOSS" if oco.sl_limit_price is None else "STOP_LIMIT",
                "ref_price": _text(oco.sl_trigger, rules.price_tick),
                "ref_price_type": MARK_PRICE,
                "price": _text(oco.sl_limit_price, rules.price_tick),
                "quantity": quantity,
                "client_oid": oco.sl_client_oid,
            }
            list_id = await self.private.advanced_create_oco([take_profit, stop])
        return Accepted(list_id=list_id)

    async def place_stop(self, stop: StopOrder) -> Accepted:
        async with broker_errors():
            if not stop.kind.is_trigger:
                raise ValueError(f"{stop.kind} is not a trigger order kind")
            rules = await self.instrument(stop.symbol)
            result = await self.private.advanced_create_order(
                instrument_name=stop.symbol,
                side=stop.side,
                order_type=stop.kind.value,
                quantity=_require_text(stop.quantity, rules.qty_tick),
                ref_price=_require_text(stop.trigger, rules.price_tick),
                price=_text(stop.limit_price, rules.price_tick),
                client_oid=stop.client_oid,
            )
        return _accepted(result, stop.client_oid)

    async def cancel(self, order: OrderState) -> None:
        """R-CXL-1: trigger orders and list legs go to the advanced cancel, the rest plain."""
        async with broker_errors():
            if order.advanced:
                await self.private.advanced_cancel_order(order_id=order.order_id)
            else:
                await self.private.cancel_order(order_id=order.order_id)

    async def cancel_list(self, list_id: str) -> None:
        async with broker_errors():
            await self.private.advanced_cancel_oco(list_id)

    # --- reads ------------------------------------------------------------------------------

    async def order_by_client_oid(
        self, client_oid: str, *, advanced: bool | None = None
    ) -> OrderState | None:
        """Plain detail, advanced detail, or (None) plain first, then advanced; an empty answer
        or 40401 means "not there"."""
        lookups = {
            None: (self.private.get_order_detail, self.private.advanced_get_order_detail),
            False: (self.private.get_order_detail,),
            True: (self.private.advanced_get_order_detail,),
        }[advanced]
        async with broker_errors():
            for lookup in lookups:
                try:
                    row = await lookup(client_oid=client_oid)
                except ExchangeError as error:
                    if error.code != NOT_FOUND_CODE:
                        raise
                    row = None
                if row is not None:
                    return order_from_row(row)
        return None

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """Union of plain and advanced open orders; an id in both keeps the advanced row."""
        async with broker_errors():
            plain = await self.private.get_open_orders(symbol)
            advanced = await self.private.advanced_get_open_orders(symbol)
            by_id = {order.order_id: order for order in map(order_from_row, plain)}
            by_id.update((order.order_id, order) for order in map(order_from_row, advanced))
        return list(by_id.values())

    async def fills(self, since: datetime, symbol: str | None = None) -> list[Fill]:
        """Trades from `since` to now, in <= 24 h windows paged backwards, deduped on trade_id."""
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware (UTC)")
        start_ms, now_ms = _ms(since), _ms(self._now()) + 1
        seen: dict[str, Fill] = {}
        pages = 0
        async with broker_errors():
            window_start = start_ms
            while window_start < now_ms:
                window_end = min(window_start + DAY_MS, now_ms)
                pages += await self._collect_window(symbol, window_start, window_end, seen, pages)
                window_start = window_end
        return sorted(seen.values(), key=lambda fill: (fill.traded_at, fill.trade_id))

    async def _collect_window(
        self, symbol: str | None, start: int, end: int, seen: dict[str, Fill], pages: int
    ) -> int:
        used = 0
        while True:
            if pages + used >= MAX_TRADE_PAGES:
                raise BrokerError(f"more than {MAX_TRADE_PAGES} pages of fills; ask a later since")
            rows = await self.private.get_trades(
                instrument_name=symbol, start_time=start, end_time=end, limit=TRADES_PAGE
            )
            used += 1
            fresh = [fill for fill in map(fill_from_row, rows) if fill.trade_id not in seen]
            seen.update((fill.trade_id, fill) for fill in fresh)
            if len(rows) < TRADES_PAGE:
                return used
            if not fresh:
                # A full page of trades already seen: more than a page share the oldest
                # millisecond, and millisecond paging cannot get past them (§8.6, §13.1).
                # Returning now would silently drop fills; fail loudly instead.
                raise BrokerError(
                    f"more than {TRADES_PAGE} trades in one millisecond before {end} ms; "
                    "cannot page private/get-trades past them"
                )
            # Page backwards: the next window ends just after the oldest trade returned
            # (inclusive of its millisecond; the dedupe drops what was already seen).
            end = min(_ms(fill.traded_at) for fill in fresh) + 1

    async def balances(self) -> list[Balance]:
        async with broker_errors():
            return balances_from_result(await self.private.user_balance())


def _text(value: Decimal | None, tick: Decimal) -> str | None:
    return None if value is None else to_text(value, tick)


def _require_text(value: Decimal, tick: Decimal) -> str:
    return to_text(value, tick)


def _notional_text(notional: Decimal | None, price_tick: Decimal) -> str | None:
    """A MARKET BUY notional floored onto the price tick (§12.2: down, never spend more).

    No notional tick is published (§15.15); the strict fake wants a multiple of
    `price_tick_size` (F-7, else 50001), which also satisfies the 2-dp evidence on 0.01-tick
    pairs. The caller rounds to cents; on a coarser tick (0.1, 0.5) the floor drops less than
    one tick instead of refusing the entry.
    """
    if notional is None:
        return None
    return to_text(round_price(notional, price_tick, notional_rounding()), price_tick)


def _check_oco_prices(oco: ProtectionOco) -> None:
    """For a SELL (long) the stop sits below the take-profit; for a BUY (short) above it."""
    if oco.side not in ("BUY", "SELL"):
        raise ValueError(f"side must be BUY or SELL, got {oco.side!r}")
    stop_below = oco.sl_trigger < oco.tp_price
    if stop_below != (oco.side == "SELL"):
        where = "below" if oco.side == "SELL" else "above"
        raise ValueError(f"a {oco.side} OCO needs the stop trigger {where} the take-profit price")


def _accepted(result: dict[str, Any], client_oid: str) -> Accepted:
    order_id = result.get("order_id")
    echoed = result.get("client_oid")
    return Accepted(
        order_id=None if order_id in (None, "") else str(order_id),
        client_oid=str(echoed) if echoed else client_oid,
    )


def _ms(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * DAY_MS + delta.seconds * 1000 + delta.microseconds // 1000
