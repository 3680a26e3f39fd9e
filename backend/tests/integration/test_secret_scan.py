"""Known fake secrets are configured, the API and the workers are driven, and nothing they log,
print or answer contains any of them, whole or in part.

Secrets: the Telegram bot token, EXCHANGE_API_KEY / EXCHANGE_API_SECRET, ATP_API_TOKEN and, on
PostgreSQL, a password in DATABASE_URL (the test server runs trust auth, so it accepts any
password; if it does not, that secret is left out and the test says so).

Driven: every GET operation of the OpenAPI schema (read when the test runs, so later routes are
scanned too), every mutating operation with the token, refusals (no token, a wrong token, a
foreign origin, a non-JSON body) and a 422; a monitor cycle that emits an alert with an order
intent; the alert sender against the fake Telegram server, through a 500 and a timeout; an
order-worker pass on the paper broker; signed calls to the fake exchange, one with a wrong
secret. Captured: every log record at DEBUG for every logger (message, exception text and extra
fields), stdout/stderr, every response body and header, and the text of raised errors.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.engine import make_url

from atp.adapters.cryptocom.broker import CryptoComBroker
from atp.adapters.paper.broker import PaperBroker
from atp.alerts.models import TelegramMessage
from atp.api.app import create_app
from atp.cli.common import configure_logging
from atp.db.base import utcnow
from atp.db.session import make_engine
from atp.monitor.worker import MonitorWorker
from atp.orders.models import OrderIntent
from atp.orders.service import OrderWorker
from atp.runtime.context import AppContext
from atp.settings import Settings
from tests.fakes.fake_exchange import FakeExchange
from tests.fakes.fake_telegram import FakeTelegram
from tests.integration.alerts_support import run_until_drained, telegram_worker
from tests.integration.monitor_support import seed_world
from tests.integration.orders_support import order_settings

pytestmark = pytest.mark.slow

BOT_ID = "7301945826"  # the bot's public user id; only the part after ":" is secret
SECRETS = {
    "telegram bot token": f"{BOT_ID}:AAHq4Zt9Lm2Xv7Rk3Wp8Jd5Nc6Bf1Gy0Ts",
    "exchange api key": "ExKey-9fQ2mT7vL4xR8wN3pZ6c",
    "exchange api secret": "ExSec-4hJ8kD2sV6bY9qW1eG5u",
    "api token": "ApiTok-Mx3Nq7Rv1Ts5Kw9Lz2Hp6Ud",
}
DB_PASSWORD = "DbPw-Yc8Fn4Gj2Qa6Ve1Xo7Ri3"
WINDOW = 10  # any 10 consecutive characters of a secret count as a leak
SYMBOL = "BTC_USDT"
WORLD = {SYMBOL: {"preset": "test:buy", "trade_enabled": True, "trade_amount_usd": 50}}
FOREIGN = "http://evil.example"


@dataclass
class Corpus:
    """Everything the system said, labelled by where it came from."""

    texts: list[tuple[str, str]] = field(default_factory=list)

    def add(self, source: str, text: str) -> None:
        self.texts.append((source, text))

    def add_response(self, label: str, response: httpx.Response) -> None:
        self.add(f"{label} body", response.text)
        self.add(f"{label} headers", "\n".join(f"{k}: {v}" for k, v in response.headers.items()))

    def leaks(self, secrets: dict[str, str]) -> list[str]:
        found = []
        for name, secret in secrets.items():
            fragments = _fragments(secret)
            for source, text in self.texts:
                hit = next((f for f in fragments if f in text), None)
                if hit is not None:
                    found.append(f"{name} ({hit!r}) in {source}: ...{_around(text, hit)}...")
        return found


def _fragments(secret: str) -> list[str]:
    secret = secret.split(":", 1)[1] if secret.startswith(f"{BOT_ID}:") else secret
    return [secret[i : i + WINDOW] for i in range(len(secret) - WINDOW + 1)]


def _around(text: str, fragment: str) -> str:
    at = text.find(fragment)
    return text[max(0, at - 80) : at + len(fragment) + 40]


def _with_password(db_url: str) -> str | None:
    """The test database URL with DB_PASSWORD in it, if the server accepts it (trust auth)."""
    url = make_url(db_url).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        with engine.connect():
            return url
    except Exception:
        return None
    finally:
        engine.dispose()


@pytest.fixture
def secrets(db_url: str) -> dict[str, str]:
    return dict(SECRETS)


@pytest.fixture
def fakes() -> Iterator[tuple[FakeTelegram, FakeExchange]]:
    with FakeTelegram(token=SECRETS["telegram bot token"]) as telegram, FakeExchange() as exchange:
        exchange.private.add_key(SECRETS["exchange api key"], SECRETS["exchange api secret"])
        yield telegram, exchange


@pytest.fixture
def context(
    settings: Settings,
    db_url: str,
    secrets: dict[str, str],
    fakes: tuple[FakeTelegram, FakeExchange],
) -> Iterator[AppContext]:
    telegram, exchange = fakes
    url = db_url
    if db_url.startswith("postgresql"):
        with_password = _with_password(db_url)
        if with_password is None:
            logging.getLogger(__name__).warning("server refuses a password: not scanned for one")
        else:
            url, secrets["database password"] = with_password, DB_PASSWORD
    update = {
        "database_url": url,
        "environment": "production",  # real sends (to the fake) only happen in production
        "telegram_bot_token": SECRETS["telegram bot token"],
        "telegram_chat_id": "111",
        "telegram_api_base_url": telegram.api_base_url,
        "telegram_daily_summary_time": "off",
        "cryptocom_base_url": exchange.base_url,
        "exchange_api_key": SecretStr(SECRETS["exchange api key"]),
        "exchange_api_secret": SecretStr(SECRETS["exchange api secret"]),
        "api_token": SecretStr(SECRETS["api token"]),
        "monitor_instance_id": "secret-scan",
    }
    ctx = AppContext(settings=order_settings(settings.model_copy(update=update)))
    yield ctx
    ctx.close()


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every logger at DEBUG (root at DEBUG, every other logger inheriting it), then the
    product's own logging policy at LOG_LEVEL=DEBUG on top: `configure_logging` keeps a few
    third-party loggers quieter (httpx logs request URLs, bot token included, at INFO; PTB's
    `telegram.Bot` logs them at DEBUG). Every logger level is put back afterwards."""
    manager = logging.root.manager
    before = {name: logging.getLogger(name).level for name in list(manager.loggerDict)}
    caplog.set_level(logging.DEBUG)
    for name in before:
        logging.getLogger(name).setLevel(logging.NOTSET)
    configure_logging("DEBUG")
    try:
        yield
    finally:
        for name in list(manager.loggerDict):
            logger = manager.loggerDict[name]
            if isinstance(logger, logging.Logger):
                logger.setLevel(before.get(name, logging.NOTSET))


def _record_text(record: logging.LogRecord) -> str:
    extras = {k: v for k, v in vars(record).items() if k not in ("msg", "args")}
    formatter = logging.Formatter()
    exc = formatter.formatException(record.exc_info) if record.exc_info else ""
    return f"{record.name} {record.getMessage()}\n{exc}\n{extras!r}"


# --- workers ---------------------------------------------------------------------------------


def _monitor_cycle(context: AppContext) -> None:
    seed_world(context.sessions, WORLD, now=utcnow())
    worker = MonitorWorker(context)
    try:
        assert worker.tick() == "running"
        assert worker.last_report is not None and worker.last_report.intents == 1
    finally:
        worker.shutdown()


def _sender_pass(context: AppContext, telegram: FakeTelegram) -> None:
    telegram.fail_next("sendMessage", 500, "Internal Server Error")
    telegram.slow_next("sendMessage", 0.5)  # beyond the notifier's timeout below
    worker = telegram_worker(context.sessions, context.settings, timeout=0.25)
    asyncio.run(run_until_drained(context.sessions, worker, timeout=10))
    with context.sessions() as session:
        statuses = list(session.scalars(select(TelegramMessage.status)))
    assert statuses and set(statuses) == {"SENT"}, statuses
    assert len(telegram.calls_of("sendMessage")) >= 3  # the 500, the timeout, the delivery


def _order_pass(context: AppContext) -> None:
    broker = PaperBroker.from_settings(context.settings, context.sessions)
    worker = OrderWorker(context, broker)
    try:
        assert asyncio.run(worker.tick()) == "leading"
    finally:
        worker.shutdown()
    with context.sessions() as session:
        assert session.scalars(select(OrderIntent.status)).one() == "PROTECTED"


async def _exchange_calls(settings: Settings, corpus: Corpus) -> None:
    broker = CryptoComBroker.from_settings(settings)
    try:
        assert await broker.balances() is not None
    finally:
        await broker.aclose()
    wrong = settings.model_copy(update={"exchange_api_secret": SecretStr("W" * 26)})
    broker = CryptoComBroker.from_settings(wrong)
    try:
        with pytest.raises(Exception) as failure:
            await broker.balances()
        corpus.add("exchange auth error", f"{failure.value!s}\n{failure.value!r}")
        logging.getLogger("atp.test.secret_scan").error("auth failed", exc_info=failure.value)
    finally:
        await broker.aclose()


# --- API -------------------------------------------------------------------------------------


def _fill_path(path: str, operation: dict[str, Any]) -> str:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path":
            name = parameter["name"]
            value = SYMBOL if "symbol" in name.lower() else "1"
            path = path.replace("{" + name + "}", value)
    return path


async def _drive_api(client: httpx.AsyncClient, corpus: Corpus) -> int:
    spec_response = await client.get("/openapi.json")
    corpus.add_response("GET /openapi.json", spec_response)
    auth = {"Authorization": f"Bearer {SECRETS['api token']}"}
    gets = 0
    for extra in ("/docs", "/redoc", "/metrics", "/health", "/api/no-such-route"):
        corpus.add_response(f"GET {extra}", await client.get(extra))
    mutations = []
    for path, operations in spec_response.json()["paths"].items():
        for method, operation in operations.items():
            url = _fill_path(path, operation)
            if method.upper() == "GET":
                corpus.add_response(f"GET {url}", await client.get(url))
                gets += 1
            else:
                mutations.append((method.upper(), url, "requestBody" in operation))
    for method, url, has_body in mutations:
        body: dict[str, Any] = {"json": {}} if has_body else {}
        for label, headers in (
            ("no token", {}),
            ("wrong token", {"Authorization": "Bearer " + "x" * 32}),
            ("foreign origin", {**auth, "Origin": FOREIGN}),
        ):
            corpus.add_response(
                f"{method} {url} ({label})",
                await client.request(method, url, headers=headers, **body),
            )
        not_json = await client.request(method, url, content=b"a=1", headers=auth)
        corpus.add_response(f"{method} {url} (text body)", not_json)
        corpus.add_response(
            f"{method} {url}", await client.request(method, url, headers=auth, **body)
        )
    invalid = await client.post("/api/control/evaluate-signal", json={"symbol": ""}, headers=auth)
    assert invalid.status_code == 422, invalid.text
    corpus.add_response("422", invalid)
    return gets


async def _api_pass(context: AppContext, corpus: Corpus) -> None:
    app = create_app(context)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8002") as c:
            assert await _drive_api(c, corpus) >= 3
            paused = await c.post(
                "/api/control/stop-signal-monitor",
                headers={"Authorization": f"Bearer {SECRETS['api token']}"},
            )
            assert paused.status_code == 200, paused.text  # the token really was configured


# --- the scan ----------------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
def test_no_secret_in_any_log_line_or_response(
    context: AppContext,
    secrets: dict[str, str],
    fakes: tuple[FakeTelegram, FakeExchange],
    debug_logging: None,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    telegram, _exchange = fakes
    if context.settings.database_url.startswith("postgresql") and "database password" in secrets:
        assert make_url(context.settings.database_url).password == DB_PASSWORD
    corpus = Corpus()
    _monitor_cycle(context)
    _sender_pass(context, telegram)
    _order_pass(context)
    asyncio.run(_exchange_calls(context.settings, corpus))
    asyncio.run(_api_pass(context, corpus))

    assert len(caplog.records) > 20  # the capture works: the workers and the API did log
    for record in caplog.records:
        corpus.add(f"log record {record.name}:{record.lineno}", _record_text(record))
    corpus.add("log text", caplog.text)
    out, err = capfd.readouterr()
    corpus.add("stdout", out)
    corpus.add("stderr", err)
    leaks = corpus.leaks(secrets)
    assert not leaks, "\n".join(leaks[:20])


def test_the_scan_finds_a_planted_fragment() -> None:
    """The detector itself: half a token, in the middle of other text, is a leak."""
    corpus = Corpus()
    token = SECRETS["api token"]
    corpus.add("clean", "nothing to see, bot id " + BOT_ID)
    assert corpus.leaks(SECRETS) == []
    corpus.add("planted", "Authorization: Bearer ..." + token[len(token) // 2 :] + " end")
    corpus.add("bot", "https://api.telegram.org/bot" + SECRETS["telegram bot token"][:24])
    leaks = corpus.leaks(SECRETS)
    assert [leak.split(" (")[0] for leak in leaks] == ["telegram bot token", "api token"], leaks
