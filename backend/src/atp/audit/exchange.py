"""`--mode live`: authenticate against the exchange with one balance read (never an order).

The broker is handed in by the entry point (`atp.runtime.broker.probe_broker`: the order
worker's factory, or the Crypto.com broker built directly when that factory refuses live
trading), with the factory's refusal as a note: the refusal guards orders and is reported by
the `trading` check, not hidden behind an auth verdict.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from atp.audit.types import FAIL, PASS, WARN, Check
from atp.core.errors import clean_error_text
from atp.monitor.blockers import BlockerCode
from atp.monitor.fixes import fix_for
from atp.orders.ports import Broker, BrokerAuthError, BrokerError
from atp.settings import Settings

PROBE_TIMEOUT_S = 15.0
# (broker, note): the note says why this broker was chosen, e.g. the factory's refusal.
ProbeBroker = Callable[[], tuple[Broker, str | None]]


def exchange_check_live(settings: Settings, probe_broker: ProbeBroker) -> Check:
    if not settings.exchange_credentials_set:
        status = FAIL if settings.trading_mode == "live" else PASS
        summary = "EXCHANGE_API_KEY / EXCHANGE_API_SECRET are not set"
        if status == PASS:
            summary += " (paper trading: nothing to authenticate)"
        code = BlockerCode.EXCHANGE_AUTH_FAILING if status == FAIL else None
        return Check("exchange_auth", status, summary, code, _evidence(settings), fix_for(code))
    return asyncio.run(_probe(settings, probe_broker))


def _evidence(settings: Settings, **extra: object) -> dict[str, object]:
    return {"trading_mode": settings.trading_mode, "source": "live balance read", **extra}


async def _probe(settings: Settings, probe_broker: ProbeBroker) -> Check:
    broker, note = probe_broker()
    try:
        balances = await asyncio.wait_for(broker.balances(), PROBE_TIMEOUT_S)
    except BrokerAuthError as exc:
        code = BlockerCode.EXCHANGE_AUTH_FAILING
        summary = f"exchange authentication failing ({exc.code}: {clean_error_text(str(exc))})"
        evidence = _evidence(settings, exchange_code=exc.code, note=note)
        return Check("exchange_auth", FAIL, summary, code, evidence, fix_for(code))
    except (BrokerError, TimeoutError) as exc:
        summary = f"exchange not reachable for the probe: {clean_error_text(str(exc)) or 'timeout'}"
        evidence = _evidence(settings, exchange_code=getattr(exc, "code", None), note=note)
        # Unreachable is not an auth verdict; it stops orders only when trading is live.
        status = FAIL if settings.trading_mode == "live" else WARN
        return Check("exchange_auth", status, summary, None, evidence, None)
    finally:
        await broker.aclose()
    summary = f"authenticated: balance read returned {len(balances)} currencies"
    return Check("exchange_auth", PASS, summary, None, _evidence(settings, note=note))
