"""Alembic owns the schema: migrations and models never disagree, and both directions work."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from atp.db.models import Base
from atp.db.revision import downgrade_to_base, revision_status, upgrade_to_head
from atp.db.session import make_engine
from tests.integration.db_admin import empty_database
from tests.settings_env import PG_URL


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "postgres" and not PG_URL:
        pytest.skip("PostgreSQL not configured (ATP_TEST_DATABASE_URL)")
    with empty_database(request.param, PG_URL, tmp_path) as url:
        yield url


def _autogenerate_diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_upgrade_empty_database_to_head_has_no_drift(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    assert revision_status(engine).current is None
    upgrade_to_head(engine)
    status = revision_status(engine)
    assert status.at_head, status.describe()
    assert _autogenerate_diff(empty_db_url) == []  # the `alembic check` rule
    tables = set(inspect(engine).get_table_names())
    assert {
        "watchlist_items",
        "watchlist_signal_state",
        "signal_throttle_state",
        "telegram_messages",
        "order_intents",
        "exchange_orders",
    } <= tables
    engine.dispose()


def test_downgrade_to_base_and_upgrade_again(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    upgrade_to_head(engine)
    downgrade_to_base(engine)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert revision_status(engine).current is None
    upgrade_to_head(engine)
    assert revision_status(engine).at_head
    assert _autogenerate_diff(empty_db_url) == []
    engine.dispose()


def test_watchlist_signal_state_keeps_the_production_shape(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    upgrade_to_head(engine)
    insp = inspect(engine)
    assert insp.get_pk_constraint("watchlist_signal_state")["constrained_columns"] == ["symbol"]
    columns = {c["name"]: c for c in insp.get_columns("watchlist_signal_state")}
    assert columns["evaluated_at_utc"]["nullable"] is False
    assert columns["evaluated_at_utc"]["default"] is not None
    assert "updated_at" in columns
    engine.dispose()
