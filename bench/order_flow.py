"""Benchmark: intent -> entry accepted, and fill -> OCO accepted, against the strict fake exchange.

The fake exchange (a real HTTP server on loopback, in its own process because in production the
exchange is remote) adds `--latency-ms` to every request, enforces the documented per-method
limits and applies creates asynchronously on its own engine tick (`--tick-ms`), as the real
matching engine does. The product's `CryptoComBroker` (strict client-side rate limits, as
`CryptoComBroker.from_settings` builds it) talks to it; the real `OrderWorker` tick (order flow,
then sync, then guardian) runs on a fresh migrated SQLite database with the production
ORDERS_* settings. Intents arrive `--burst` at a time, each batch right before a tick.

Per intent (wall-clock times; the database stamps come from the flow's own clock):
- `intent_to_entry_accepted_s`: from the tick that picks the PENDING intent up to the entry
  read back from the exchange by client_oid, filled (the flow commits FILLED, `filled_at`);
  `intent_to_entry_ack_s` stops earlier, at the create-order answer (code 0 = queued only);
- `fill_to_protected_s`: from `filled_at` (the fill is visible) to both OCO legs read back from
  the exchange (`protected_at`); `fill_to_oco_ack_s` stops at the create-oco answer.
Targets: p99 <= 1 s and p99 <= 2 s (the guardian's window). A missed target is reported, not an
error; the exit status is non-zero only when the run failed (an intent not protected, or a
worker tick that reported an error).

Prints JSON. `--quick` is the reduced size CI runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from decimal import Decimal
from multiprocessing import Event, Process, Queue
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))  # the fake exchange lives in the test package

from tests.fakes.fake_exchange import FakeExchange  # noqa: E402
from tests.fakes.fake_exchange_private import DEFAULT_API_KEY, DEFAULT_API_SECRET  # noqa: E402

from atp.adapters.cryptocom.broker import CryptoComBroker  # noqa: E402
from atp.adapters.cryptocom.ratelimit import MethodRateLimiter  # noqa: E402
from atp.adapters.cryptocom.transport import CryptoComTransport, RetryPolicy  # noqa: E402
from atp.alerts.models import TelegramMessage  # noqa: E402
from atp.db.base import utcnow  # noqa: E402
from atp.db.revision import upgrade_to_head  # noqa: E402
from atp.db.session import unit_of_work  # noqa: E402
from atp.monitor.throttle_state import client_oid_for  # noqa: E402
from atp.ops.models import TradingSetting  # noqa: E402
from atp.orders import states  # noqa: E402
from atp.orders.models import OrderIntent  # noqa: E402
from atp.orders.ports import Accepted, MarketEntry, ProtectionOco  # noqa: E402
from atp.orders.service import OrderWorker  # noqa: E402
from atp.runtime.context import AppContext  # noqa: E402
from atp.settings import Settings  # noqa: E402

# symbol -> (last price, price tick, quantity tick); intents go round-robin over them
MARKETS = {
    "ETH_USD": ("2500.00", "0.01", "0.0001"),
    "BTC_USD": ("60000.0", "0.1", "0.00001"),
    "SOL_USD": ("150.000", "0.001", "0.001"),
}
AMOUNT_USD = Decimal(50)
SL_RATIO, TP_RATIO = Decimal("0.97"), Decimal("1.05")
TARGETS_S = {"intent_to_entry_accepted_s": 1.0, "fill_to_protected_s": 2.0}
MAX_TICKS_PER_BATCH = 6
# Set by the benchmark so positions can pile up: it measures latency, not the open-order limits.
SWITCHES = {
    "LIVE_TRADING": "true",
    "MAX_OPEN_ORDERS_PER_COIN": "100000",
    "MAX_OPEN_ORDERS_TOTAL": "100000",
}


# --- the exchange, in its own process ------------------------------------------------------


def _serve_fake(
    latency_s: float, tick_s: float, urls: Queue[str], stop: Any, summary: Queue[Any]
) -> None:
    with FakeExchange(symbols=list(MARKETS), latency_s=latency_s) as fake:
        for symbol, (last, price_tick, qty_tick) in MARKETS.items():
            fake.private.set_instrument(symbol, price_tick=price_tick, qty_tick=qty_tick)
            fake.private.set_price(symbol, last=Decimal(last))
        fake.private.set_balance("USD", Decimal(10_000_000))
        fake.private.start_ticking(tick_s)
        urls.put(fake.base_url)
        stop.wait()
        fake.private.stop_ticking()
        codes: dict[str, Counter[str]] = defaultdict(Counter)
        for request in fake.requests():
            codes[request.method][str(request.code)] += 1
        summary.put({method: dict(counter) for method, counter in sorted(codes.items())})


class _RemoteFake:
    def __init__(self, latency_s: float, tick_s: float) -> None:
        self._urls: Queue[str] = Queue()
        self._summary: Queue[Any] = Queue()
        self._stop = Event()
        self._process = Process(
            target=_serve_fake,
            args=(latency_s, tick_s, self._urls, self._stop, self._summary),
            daemon=True,
        )
        self.requests_by_code: dict[str, dict[str, int]] = {}

    def __enter__(self) -> str:
        self._process.start()
        return self._urls.get(timeout=60)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.requests_by_code = self._summary.get(timeout=30)
        self._process.join(timeout=10)


# --- instrumentation (the product code is not touched) -------------------------------------


class RecordingLimiter(MethodRateLimiter):
    """The strict production limiter, also noting every wait (wall time it began, seconds)."""

    def __init__(self) -> None:
        super().__init__(strict_private=True)
        self.waits: list[tuple[str, float, float]] = []

    async def acquire(self, method: str) -> float:
        started = time.time()
        waited = await super().acquire(method)
        if waited > 0.0005:
            self.waits.append((method, started, waited))
        return waited


class TimedBroker(CryptoComBroker):
    """The real broker; only stamps (wall time) when the two writes were answered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entry_ack: dict[str, float] = {}  # entry client_oid -> create-order answered
        self.oco_ack: dict[str, float] = {}  # stop-leg client_oid -> create-oco answered

    async def place_market_entry(self, entry: MarketEntry) -> Accepted:
        accepted = await super().place_market_entry(entry)
        self.entry_ack[entry.client_oid] = time.time()
        return accepted

    async def place_oco(self, oco: ProtectionOco) -> Accepted:
        accepted = await super().place_oco(oco)
        self.oco_ack[oco.sl_client_oid] = time.time()
        return accepted


def make_broker(
    settings: Settings, limiter: RecordingLimiter
) -> tuple[TimedBroker, CryptoComTransport]:
    """As `CryptoComBroker.from_settings` builds it, with the recording limiter."""
    transport = CryptoComTransport(
        settings.cryptocom_base_url,
        timeout_s=settings.market_http_timeout_seconds,
        retry=RetryPolicy(
            attempts=settings.market_http_attempts,
            base_delay_s=settings.market_retry_base_delay_seconds,
        ),
        limiter=limiter,
    )
    broker = TimedBroker.from_settings(settings, transport=transport)
    assert isinstance(broker, TimedBroker)  # from_settings builds `cls`
    return broker, transport


# --- seed ----------------------------------------------------------------------------------


def seed_switches(context: AppContext) -> None:
    with unit_of_work(context.sessions) as session:
        for key, value in SWITCHES.items():
            session.add(TradingSetting(key=key, value=value, updated_at=utcnow()))


def create_intent(context: AppContext, number: int) -> int:
    """A PENDING BUY intent as the monitor leaves it, behind an alert the sender delivered."""
    symbol = list(MARKETS)[number % len(MARKETS)]
    last, tick, _ = MARKETS[symbol]
    reference, price_tick = Decimal(last), Decimal(tick)
    key = f"bench:{number}:{time.time_ns()}"
    with unit_of_work(context.sessions) as session:
        alert = TelegramMessage(
            idempotency_key=f"alert:{key}",
            kind="ALERT",
            chat_id="1",
            symbol=symbol,
            side="BUY",
            status="SENT",
            text=f"BUY {symbol}",
            sent_at=utcnow(),
        )
        session.add(alert)
        session.flush()
        intent = OrderIntent(
            idempotency_key=f"intent:{key}",
            client_oid=client_oid_for(f"intent:{key}"),
            telegram_message_id=alert.id,
            symbol=symbol,
            side="BUY",
            status=states.PENDING,
            amount_usd=AMOUNT_USD,
            reference_price=reference,
            sl_price=(reference * SL_RATIO).quantize(price_tick),
            tp_price=(reference * TP_RATIO).quantize(price_tick),
            strategy_key="swing",
        )
        session.add(intent)
        session.flush()
        return intent.id


# --- the measured loop ---------------------------------------------------------------------


async def run_batch(
    worker: OrderWorker, ids: list[int], interval_s: float, errors: list[str]
) -> tuple[float, int]:
    """Ticks as `atp sync` does (one every interval) until the batch is protected or ended."""
    pickup = tick_started = time.time()
    ticks = 0
    while ticks < MAX_TICKS_PER_BATCH:
        if ticks:
            await asyncio.sleep(max(0.0, interval_s - (time.time() - tick_started)))
        tick_started = time.time()
        await worker.tick()
        ticks += 1
        if worker.last is not None and (worker.last.error or worker.last.auth_error):
            errors.append(str(worker.last.error or worker.last.auth_error))
        if all(status not in states.WORKING_STATES for status in _statuses(worker, ids)):
            break
    return pickup, ticks


def _statuses(worker: OrderWorker, ids: list[int]) -> list[str]:
    with worker.context.sessions() as session:
        return [session.get_one(OrderIntent, i).status for i in ids]


def measure(
    worker: OrderWorker, broker: TimedBroker, intent_id: int, pickup: float, ticks: int
) -> dict[str, Any]:
    with worker.context.sessions() as session:
        intent = session.get_one(OrderIntent, intent_id)
        row: dict[str, Any] = {
            "intent_id": intent.id,
            "symbol": intent.symbol,
            "status": intent.status,
            "protection_mode": intent.protection_mode,
            "protection_attempts": intent.protection_attempts,
            "ticks": ticks,
            "reason": intent.block_reason or intent.error_message,
        }
        filled = intent.filled_at.timestamp() if intent.filled_at else None
        protected = intent.protected_at.timestamp() if intent.protected_at else None
        sl_oid = states.derived_client_oid(intent.client_oid, "sl", intent.protection_attempts)
        entry_ack = broker.entry_ack.get(intent.client_oid)
        oco_ack = broker.oco_ack.get(sl_oid)
    row["pickup"] = pickup
    row["end"] = protected or filled or time.time()
    row["intent_to_entry_ack_s"] = _delta(pickup, entry_ack)
    row["intent_to_entry_accepted_s"] = _delta(pickup, filled)
    row["fill_to_oco_ack_s"] = _delta(filled, oco_ack)
    row["fill_to_protected_s"] = _delta(filled, protected)
    return row


def _delta(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else round(end - start, 4)


def quantiles(values: list[float]) -> dict[str, Any]:
    """Nearest-rank percentiles (with 50 samples p99 is the largest value, like max)."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return {
        "n": len(ordered),
        "p50": rank(0.50),
        "p90": rank(0.90),
        "p99": rank(0.99),
        "max": ordered[-1],
        "min": ordered[0],
    }


def rate_limit_waits(limiter: RecordingLimiter, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Client-side limiter waits per method: all of them, and those inside a measured window."""
    total: defaultdict[str, float] = defaultdict(float)
    critical: defaultdict[str, float] = defaultdict(float)
    for method, started, waited in limiter.waits:
        total[method] += waited
        if any(r["pickup"] <= started <= r["end"] for r in rows):
            critical[method] += waited
    return {
        "all_s": {m: round(s, 3) for m, s in sorted(total.items())},
        "inside_measured_windows_s": {m: round(s, 3) for m, s in sorted(critical.items())},
    }


async def run(args: argparse.Namespace, tmp: str) -> dict[str, Any]:
    remote = _RemoteFake(args.latency_ms / 1000, args.tick_ms / 1000)
    with remote as base_url:
        settings = Settings(
            _env_file=None,
            data_dir=tmp,
            database_url=f"sqlite:///{tmp}/bench.sqlite3",
            cryptocom_base_url=base_url,
            trading_mode="live",
            exchange_api_key=DEFAULT_API_KEY,
            exchange_api_secret=DEFAULT_API_SECRET,
        )
        context = AppContext(settings)
        upgrade_to_head(context.engine)
        seed_switches(context)
        limiter = RecordingLimiter()
        broker, transport = make_broker(settings, limiter)
        worker = OrderWorker(context, broker)
        rows: list[dict[str, Any]] = []
        tick_errors: list[str] = []
        started = time.perf_counter()
        try:
            for first in range(0, args.intents, args.burst):
                count = min(args.burst, args.intents - first)
                ids = [create_intent(context, first + k) for k in range(count)]
                interval = settings.orders_sync_interval_seconds
                pickup, ticks = await run_batch(worker, ids, interval, tick_errors)
                rows.extend(measure(worker, broker, i, pickup, ticks) for i in ids)
            wall = time.perf_counter() - started
        finally:
            worker.shutdown()
            await broker.aclose()
            context.close()
    client = {
        "requests": dict(sorted(transport.stats.requests.items())),
        "retries": dict(transport.stats.retries),
        "rate_limited_429": transport.stats.rate_limited,
    }
    return report(
        args,
        settings,
        rows,
        limiter,
        remote.requests_by_code,
        client,
        tick_errors,
        wall,
    )


def report(
    args: argparse.Namespace,
    settings: Settings,
    rows: list[dict[str, Any]],
    limiter: RecordingLimiter,
    fake_requests: dict[str, dict[str, int]],
    client: dict[str, Any],
    tick_errors: list[str],
    wall: float,
) -> dict[str, Any]:
    metrics = {
        name: quantiles([r[name] for r in rows if r[name] is not None])
        for name in (
            "intent_to_entry_ack_s",
            "intent_to_entry_accepted_s",
            "fill_to_oco_ack_s",
            "fill_to_protected_s",
        )
    }
    targets = {
        name: {
            "p99_s": metrics[name].get("p99"),
            "target_p99_s": limit,
            "pass": metrics[name].get("p99") is not None and metrics[name]["p99"] <= limit,
        }
        for name, limit in TARGETS_S.items()
    }
    delay = settings.orders_confirm_delay_seconds
    second_read = {  # the first read-back came before the exchange applied the write
        "entry": sum(
            1
            for r in rows
            if _gap(r, "intent_to_entry_ack_s", "intent_to_entry_accepted_s") >= delay
        ),
        "protection": sum(
            1 for r in rows if _gap(r, "fill_to_oco_ack_s", "fill_to_protected_s") >= delay
        ),
    }
    not_protected = [
        {k: r[k] for k in ("intent_id", "symbol", "status", "reason")}
        for r in rows
        if r["status"] != states.PROTECTED
    ]
    return {
        "benchmark": "order_flow",
        "intents": len(rows),
        "burst": args.burst,
        "latency_ms": args.latency_ms,
        "fake_tick_ms": args.tick_ms,
        "database": "sqlite",
        "settings": {
            "orders_confirm_polls": settings.orders_confirm_polls,
            "orders_confirm_delay_seconds": settings.orders_confirm_delay_seconds,
            "orders_sync_interval_seconds": settings.orders_sync_interval_seconds,
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "wall_s": round(wall, 2),
        "metrics": metrics,
        "targets": targets,
        "read_backs_that_waited_the_confirm_delay": second_read,
        "ticks_per_batch": dict(Counter(str(r["ticks"]) for r in rows)),
        "protection_modes": dict(Counter(str(r["protection_mode"]) for r in rows)),
        "not_protected": not_protected,
        "tick_errors": tick_errors,
        "rate_limit_waits": rate_limit_waits(limiter, rows),
        "client": client,
        "fake_requests_by_code": fake_requests,
        "samples": [
            {k: v for k, v in r.items() if k not in ("pickup", "end", "reason")} for r in rows
        ]
        if args.samples
        else None,
    }


def _gap(row: dict[str, Any], start: str, end: str) -> float:
    if row[start] is None or row[end] is None:
        return 0.0
    return float(row[end] - row[start])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced size for CI (10 intents)")
    parser.add_argument("--intents", type=int, default=50)
    parser.add_argument("--burst", type=int, default=1, help="intents picked up by one tick")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--tick-ms", type=float, default=50.0, help="the fake's engine tick")
    parser.add_argument("--samples", action="store_true", help="include every intent's timings")
    args = parser.parse_args()
    if args.quick:
        args.intents = 10
    if args.intents < 1 or args.burst < 1:
        parser.error("--intents and --burst must be >= 1")
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args, tmp))
    result["load_average_before"] = load_before
    print(json.dumps(result, indent=2))
    return 1 if result["not_protected"] or result["tick_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
