"""Long-running process commands refuse an un-migrated database: exit 3, one line, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from atp.cli import main
from tests.integration.db_admin import empty_database
from tests.settings_env import PG_URL, child_env

PROCESS_COMMANDS = ["api", "monitor", "market", "sync", "bot", "sender"]
ATP = str(Path(sys.executable).with_name("atp"))


def _present_process_commands() -> list[str]:
    return [name for name in PROCESS_COMMANDS if name in main.commands]


def _run(command: str, url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = child_env(DATABASE_URL=url, ATP_DATA_DIR=str(tmp_path), ENVIRONMENT="test")
    return subprocess.run(
        [ATP, command], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_process_commands_exit_3_on_unmigrated_database(kind: str, tmp_path: Path) -> None:
    if kind == "postgres" and not PG_URL:
        pytest.skip("PostgreSQL not configured (ATP_TEST_DATABASE_URL)")
    commands = _present_process_commands()
    assert commands, "no process command registered"
    with empty_database(kind, PG_URL, tmp_path) as url:
        for command in commands:
            result = _run(command, url, tmp_path)
            assert result.returncode == 3, (command, result.stderr[-2000:])
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            assert len(lines) == 1, (command, result.stderr)
            # A missing SQLite file is reported as such (and not created); an empty database by revision.
            assert "atp migrate" in lines[0], lines[0]
            assert "current=none" in lines[0] or "no database at" in lines[0], lines[0]
            assert "Traceback" not in result.stderr


def test_db_status_reports_current_and_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    result = _run("db-status", url, tmp_path)
    assert result.returncode == 3 and "head=" in result.stdout
    assert _run("migrate", url, tmp_path).returncode == 0
    result = _run("db-status", url, tmp_path)
    assert result.returncode == 0 and "(at head)" in result.stdout


def test_unreachable_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens there, the connection is refused at once.
    # Unreachable is a configuration/environment problem (exit 2), not a schema one (exit 3).
    result = _run("monitor", "postgresql://postgres@127.0.0.1:9/none", tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot use the database" in lines[0], result.stderr


def test_bad_configuration_is_one_line_exit_2_and_never_echoes_values(tmp_path: Path) -> None:
    env = child_env(
        ATP_DATA_DIR=str(tmp_path),
        MONITOR_INTERVAL_SECONDS="-1",
        DISPLAY_TIMEZONE="Mars/Olympus",
        TELEGRAM_BOT_TOKEN="123456:VERY-SECRET",
    )
    result = subprocess.run(
        [ATP, "monitor"], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: invalid configuration:"), result.stderr
    assert "MONITOR_INTERVAL_SECONDS" in lines[0] and "DISPLAY_TIMEZONE" in lines[0]
    assert "VERY-SECRET" not in result.stderr + result.stdout
