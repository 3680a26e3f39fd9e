"""The newcomer's path is one path: `make run`, then `atp status` in the same checkout.

The test builds a throw-away source checkout (the real Makefile, run script, example env file
and package), runs the real `scripts/run-local.sh` the way `make run` does, and then asks
`.venv/bin/atp` in that checkout - with no database variables at all, as a new user would.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.settings_env import child_env

REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _make_checkout(root: Path) -> Path:
    """A minimal checkout: what the default data directory is resolved from, and what runs."""
    checkout = root / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    (checkout / "secrets").mkdir()
    (checkout / "backend").mkdir()
    shutil.copy(REPO / "Makefile", checkout / "Makefile")
    shutil.copy(REPO / "scripts" / "run-local.sh", checkout / "scripts" / "run-local.sh")
    shutil.copy(REPO / "backend" / "pyproject.toml", checkout / "backend" / "pyproject.toml")
    # The example copied as is, as the README tells a newcomer to do.
    shutil.copy(REPO / "secrets" / "runtime.env.example", checkout / "secrets" / "runtime.env")
    shutil.copytree(
        REPO / "backend" / "src" / "atp",
        checkout / "backend" / "src" / "atp",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    venv_bin = checkout / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    atp = venv_bin / "atp"
    # The console script of an editable install: this checkout's package, this interpreter.
    atp.write_text(
        "#!/bin/sh\n"
        f'PYTHONPATH="{checkout}/backend/src" exec "{sys.executable}" '
        '-c \'import sys; from atp.cli import main; sys.argv[0] = "atp"; main()\' "$@"\n'
    )
    atp.chmod(0o755)
    return checkout


def _newcomer_env(home: Path, **extra: str) -> dict[str, str]:
    env = child_env(HOME=str(home))
    env.pop("API_PORT", None)
    env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


def _demo_watchlist(db: Path) -> list[str]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            rows = conn.execute(
                "select symbol from watchlist_items where preset = 'demo:lively'"
            ).fetchall()
            beats = conn.execute("select count(*) from service_heartbeats").fetchone()[0]
    except sqlite3.Error:
        return []
    return [r[0] for r in rows] if beats else []


@pytest.mark.slow
def test_make_run_then_atp_status_in_the_same_checkout_reads_the_demo(tmp_path: Path) -> None:
    checkout = _make_checkout(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    run_env = _newcomer_env(
        home,
        API_PORT=str(_free_port()),
        MARKET_INTERVAL_SECONDS="5",
        MONITOR_INTERVAL_SECONDS="2",
    )
    proc = subprocess.Popen(
        ["bash", "scripts/run-local.sh"],
        cwd=checkout,
        env=run_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    database = checkout / "data" / "atp.sqlite3"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _demo_watchlist(database):
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.5)
        assert _demo_watchlist(database), "make run did not seed ./data within 60 s"
        atp = str(checkout / ".venv" / "bin" / "atp")
        status = subprocess.run(
            [atp, "status"],
            cwd=checkout,
            env=_newcomer_env(home),
            capture_output=True,
            text=True,
            timeout=60,
        )
        listing = subprocess.run(
            [atp, "watchlist", "list"],
            cwd=checkout / "backend",  # any working directory in the checkout: same database
            env=_newcomer_env(home),
            capture_output=True,
            text=True,
            timeout=60,
        )
        added = subprocess.run(  # the demo's replay feed: another symbol is welcome
            [atp, "watchlist", "add", "LINK_USDT"],
            cwd=checkout,
            env=_newcomer_env(home),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert status.returncode == 0, status.stderr
    assert "monitor:  running (running=True" in status.stdout, status.stdout
    assert "market:   0/0" not in status.stdout
    assert "telegram: console (demo delivery" in status.stdout
    assert listing.returncode == 0, listing.stderr
    assert "BTC_USDT" in listing.stdout and "demo:lively" in listing.stdout
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("added LINK_USDT\n")
    # One database: nothing was created anywhere else.
    assert not (home / ".local" / "share" / "atp").exists()
    assert not (checkout / "atp.sqlite3").exists()
    assert "demo watchlist not seeded" not in output
