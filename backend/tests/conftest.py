"""Shared fixtures: a migrated database per backend (SQLite always, PostgreSQL when configured).

PostgreSQL runs when ATP_TEST_DATABASE_URL points at an empty database the suite may own.
Under CI (CI=true) a missing or unreachable PostgreSQL is an error, never a skip.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from atp.db.models import Base
from atp.db.revision import upgrade_to_head
from atp.db.session import make_engine, make_session_factory
from atp.settings import Settings
from tests.settings_env import IN_CI, PG_URL

BACKENDS = ["sqlite", "postgres"]
_skipped_pg: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not PG_URL:
        raise pytest.UsageError(
            "CI=true but ATP_TEST_DATABASE_URL is not set: refusing to skip PostgreSQL"
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not PG_URL and _skipped_pg:
        terminalreporter.write_line(
            f"NOTE: PostgreSQL tests were SKIPPED ({len(_skipped_pg)} test(s)): "
            "set ATP_TEST_DATABASE_URL to run them (make test does when PostgreSQL is reachable).",
            yellow=True,
        )


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test copies the file (much faster than migrating per test)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_engine() -> Iterator[Engine]:
    engine = make_engine(PG_URL)
    with engine.begin() as conn:  # start from a clean slate even if a previous run crashed
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a migrated, empty database for this test (sqlite and postgres variants)."""
    if request.param == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "atp.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    if not PG_URL:
        _skipped_pg.append(request.node.nodeid)
        pytest.skip("PostgreSQL not configured (ATP_TEST_DATABASE_URL)")
    engine = request.getfixturevalue("_pg_engine")
    _truncate_all(engine)
    yield PG_URL
    _truncate_all(engine)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings built in code (never from the developer's environment)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db_url,
        data_dir=tmp_path,
        environment="test",
        telegram_bot_token="",
        telegram_chat_id="",
    )
