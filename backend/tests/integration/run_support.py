"""`atp run --no-api` as a real subprocess on a migrated, seeded SQLite file (the embedded default)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from atp.db.revision import upgrade_to_head
from atp.db.session import make_engine, make_session_factory
from atp.runtime.seed import seed_all
from tests.settings_env import child_env

ATP = str(Path(sys.executable).with_name("atp"))


@dataclass
class RunningAtp:
    sessions: sessionmaker[Session]
    process: subprocess.Popen[str]
    output: str = ""  # stdout + stderr, filled in when the block ends


@contextmanager
def atp_run(tmp_path: Path, **env: str) -> Iterator[RunningAtp]:
    """Start `atp run --no-api` with `env` on top of a fresh database; on leaving the block it is
    stopped with SIGTERM (as Ctrl-C / docker stop would) and its output is collected."""
    url = f"sqlite:///{tmp_path / 'atp.sqlite3'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    run = RunningAtp(make_session_factory(engine), None)  # type: ignore[arg-type]
    seed_all(run.sessions)
    run.process = subprocess.Popen(
        [ATP, "run", "--no-api"],
        env=child_env(DATABASE_URL=url, ATP_DATA_DIR=str(tmp_path), **env),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield run
    finally:
        run.process.send_signal(signal.SIGTERM)
        run.output, _ = run.process.communicate(timeout=30)
        engine.dispose()
