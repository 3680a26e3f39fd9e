"""Schemathesis over the app's own OpenAPI schema: no generated input gets a 5xx, and no
mutating operation runs without the bearer token or from a foreign origin.

The operations are read from the schema when the test runs, so routes added later are fuzzed
without touching this file. The app runs in-process (ASGI) on a seeded SQLite database: watchlist
rows, built-in presets, candles, tickers, one monitor cycle (state rows, an alert and an order
intent) and a config change, so list and detail routes have rows to return.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.python import asgi
from sqlalchemy import func, select

from atp.api.app import create_app
from atp.db.base import utcnow
from atp.monitor.cycle import run_cycle
from atp.monitor.service import pause_monitor
from atp.ops.config_trail import ChangeSource
from atp.ops.models import ConfigChange
from atp.runtime.context import AppContext
from atp.runtime.seed import seed_all
from atp.settings import Settings
from tests.integration.monitor_support import seed_world

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

TOKEN = "fuzz-token-" + "f" * 24
FOREIGN = "http://evil.example"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Examples per operation and generation mode (positive = fits the schema, negative = does not).
# The whole run must stay well under a minute on the 2-core CI machine as routes are added.
EXAMPLE_BUDGET = 1200
MIN_EXAMPLES, MAX_EXAMPLES = 4, 20
WORLD: dict[str, dict[str, Any]] = {
    "BTC_USDT": {"preset": "test:buy", "trade_enabled": True, "trade_amount_usd": 50},
    "ETH_USDT": {"preset": "test:sell"},
    "SOL_USDT": {"preset": "test:none", "alert_enabled": False},
}


def _seed(context: AppContext) -> None:
    sessions = context.sessions
    seed_all(sessions)
    now = utcnow() - timedelta(seconds=5)
    seed_world(sessions, WORLD, now=now)
    run_cycle(sessions, context.settings, now=now)
    with sessions.begin() as session:
        pause_monitor(
            session, context.settings, paused=False, source=ChangeSource.API, actor="fuzz"
        )


@pytest.fixture
def context(settings: Settings) -> Iterator[AppContext]:
    ctx = AppContext(settings=settings.model_copy(update={"api_token": SecretStr(TOKEN)}))
    _seed(ctx)
    yield ctx
    ctx.close()


@pytest.fixture
def app(context: AppContext) -> Iterator[FastAPI]:
    application = create_app(context)
    yield application
    asgi.shutdown_lifespans()  # schemathesis keeps a started app alive until told otherwise


def _operations(app: FastAPI) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert operations, "the schema lists no operations"
    return operations


def _client(app: FastAPI) -> asgi.ASGIClient:
    return asgi.get_client(app)  # type: ignore[arg-type]  # ASGI callables differ only in typing


def _is_mutation(operation: Any) -> bool:
    return operation.method.upper() not in SAFE_METHODS


def _examples_per_mode(count: int) -> int:
    return max(MIN_EXAMPLES, min(MAX_EXAMPLES, EXAMPLE_BUDGET // (2 * count)))


def _run_cases(
    operation: Any, mode: GenerationMode, examples: int, check: Any, **call: Any
) -> list[str]:
    """Send `examples` generated requests for one operation; return what `check` objected to."""
    problems: list[str] = []

    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same inputs on every run: a failure reproduces
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case: Any) -> None:
        try:
            response = case.call(**call)
        except Exception as exc:  # the app raised: a real server would have answered 500
            problems.append(f"{case.method} {case.formatted_path}: raised {exc!r}")
            return
        problem = check(case, response)
        if problem:
            problems.append(f"{case.method} {case.formatted_path} [{mode}]: {problem}")

    try:
        send()
    except hypothesis.errors.Unsatisfiable:
        # Negative mode on an operation without parameters or body: there is nothing to break.
        if mode is not GenerationMode.NEGATIVE:
            raise
    return problems


def _no_server_error(case: Any, response: Any) -> str | None:
    if response.status_code >= 500:
        return (
            f"{response.status_code} {response.text[:300]} (query={case.query}, body={case.body!r})"
        )
    return None


def _trail_count(context: AppContext) -> int:
    with context.sessions() as session:
        return session.scalar(select(func.count()).select_from(ConfigChange)) or 0


def test_no_generated_input_gets_a_server_error(app: FastAPI) -> None:
    operations = _operations(app)
    examples = _examples_per_mode(len(operations))
    problems: list[str] = []
    with _client(app) as client:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                problems += _run_cases(
                    operation,
                    mode,
                    examples,
                    _no_server_error,
                    session=client,
                    headers={"Authorization": f"Bearer {TOKEN}"},
                )
    assert not problems, "\n".join(dict.fromkeys(problems))


def _refused(*statuses: int) -> Any:
    def check(_case: Any, response: Any) -> str | None:
        if response.status_code not in statuses:
            return f"expected {statuses}, got {response.status_code} {response.text[:200]}"
        return None

    return check


def test_every_mutation_without_the_token_or_from_a_foreign_origin_is_refused(
    app: FastAPI, context: AppContext
) -> None:
    mutations = [op for op in _operations(app) if _is_mutation(op)]
    assert mutations, "no mutating operation in the schema"
    before = _trail_count(context)
    problems: list[str] = []
    wrong = {"Authorization": "Bearer " + "w" * len(TOKEN)}
    foreign = {"Authorization": f"Bearer {TOKEN}", "Origin": FOREIGN}
    with _client(app) as client:
        client.headers.pop("Authorization", None)
        for operation in mutations:
            for headers, statuses in (({}, (401,)), (wrong, (401,)), (foreign, (403,))):
                problems += _run_cases(
                    operation,
                    GenerationMode.POSITIVE,
                    MIN_EXAMPLES,
                    _refused(*statuses),
                    session=client,
                    headers=headers,
                )
    assert not problems, "\n".join(dict.fromkeys(problems))
    assert _trail_count(context) == before  # nothing was changed through the API


def test_without_a_configured_token_every_mutation_is_503(context: AppContext) -> None:
    settings = context.settings.model_copy(update={"api_token": SecretStr("")})
    unguarded = AppContext(settings=settings)
    try:
        app = create_app(unguarded)
        mutations = [op for op in _operations(app) if _is_mutation(op)]
        before = _trail_count(context)
        problems: list[str] = []
        with _client(app) as client:
            for operation in mutations:
                problems += _run_cases(
                    operation,
                    GenerationMode.POSITIVE,
                    MIN_EXAMPLES,
                    _refused(503),
                    session=client,
                    headers={"Authorization": f"Bearer {TOKEN}"},
                )
        assert not problems, "\n".join(dict.fromkeys(problems))
        assert _trail_count(context) == before
    finally:
        asgi.shutdown_lifespans()
        unguarded.close()
