"""Every `atp` command answers a broken setup in one line, with the documented exit code.

The table is built from the click group itself, so a command added later is covered without
touching this file (it runs with no arguments unless `ARGUMENTS` gives some).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from atp.cli import main
from atp.ops.trading_settings import SPECS
from atp.runtime.context import AppContext
from atp.settings import Settings
from tests.settings_env import child_env

ATP = str(Path(sys.executable).with_name("atp"))
UNREACHABLE_PG = "postgresql://postgres@127.0.0.1:1/x"

# Arguments that get a command past its own usage checks (and keep long-running ones short).
ARGUMENTS: dict[str, list[str]] = {
    "api": ["--port", "0"],
    "backtest": [
        *("--symbol", "BTC_USDT", "--preset", "swing:conservative"),
        *("--from", "2026-01-01", "--to", "2026-01-02"),
    ],
    "market": ["--once"],
    "monitor": ["--once"],
    "sender": ["--once"],
    "run": ["--no-api"],
    "why": ["BTC_USDT"],
    "healthcheck": ["monitor"],
    "presets show": ["swing:conservative"],
    "presets set": ["swing:conservative", "cooldown_minutes=30"],
    "presets create": ["swing:mine", "--from", "swing:conservative"],
    "settings set": ["KILL_SWITCH", "off"],
    "watchlist add": ["BTC_USDT"],
    "watchlist set": ["BTC_USDT", "trade_amount_usd=10"],
    "watchlist remove": ["BTC_USDT"],
    "watchlist restore": ["BTC_USDT"],
}
# Needs neither settings nor a database: it answers whatever the setup.
NO_SETUP_NEEDED = {"version"}
# On a database that is not at head these do their job instead of refusing.
SCHEMA_TOOLS = {"migrate", "db-status"}
# The audit's contract (issue 11, cron): 2 = "cannot run", with the reason, for a schema too.
# `healthcheck` (compose, issue 14): 2 = "cannot check", whatever keeps it from reading.
CANNOT_RUN_IS_2 = {"audit", "healthcheck"}


def leaf_commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name))


@dataclass
class Outcome:
    command: str
    code: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def _run_one(command: str, env: dict[str, str], cwd: Path) -> Outcome:
    args = [ATP, *command.split(), *ARGUMENTS.get(command, [])]
    try:
        done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return Outcome(command, -1, "", "timed out: the command ran instead of refusing")
    return Outcome(command, done.returncode, done.stdout, done.stderr)


def _run_all(commands: list[str], env: dict[str, str], cwd: Path) -> list[Outcome]:
    with ThreadPoolExecutor(max_workers=max(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(lambda c: _run_one(c, env, cwd), commands))


def _listing(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*"))}


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A temp HOME and data dir; the child never sees the developer's own configuration."""
    (tmp_path / "home").mkdir()
    (tmp_path / "data").mkdir()
    return tmp_path


def _env(sandbox: Path, **overrides: str) -> dict[str, str]:
    base = {
        "HOME": str(sandbox / "home"),
        "ATP_DATA_DIR": str(sandbox / "data"),
        "ENVIRONMENT": "test",
        "MARKET_SOURCE": "replay",
    }
    return child_env(**{**base, **overrides})


def _assert_one_line_refusals(
    outcomes: list[Outcome], code: int, expect: str, exempt: set[str]
) -> None:
    problems = []
    for out in outcomes:
        if out.command in exempt:
            continue
        lines = out.stderr_lines
        if (
            out.code != code
            or len(lines) != 1
            or "Traceback" in out.stderr
            or expect not in lines[0]
        ):
            problems.append(f"{out.command}: exit {out.code}, stderr={out.stderr[-600:]!r}")
    assert not problems, "\n".join(problems)


def _check_exempt(outcomes: list[Outcome]) -> None:
    for out in outcomes:
        if out.command in NO_SETUP_NEEDED:
            assert out.code == 0 and out.stdout.strip() and not out.stderr, out


COMMANDS = sorted(leaf_commands())
# Settings are read before a subcommand is even resolved, so for bad settings one leaf stands
# for its group (this halves the number of processes; every top-level command still runs).
TOP_LEVEL = sorted({c.split()[0]: c for c in reversed(COMMANDS)}.values())


def test_the_table_covers_every_command() -> None:
    assert {"status", "why", "watchlist list", "settings set", "telegram status"} <= set(COMMANDS)
    assert {"backtest", "presets list", "market-health", "alerts list"} <= set(COMMANDS)
    unknown = set(ARGUMENTS) - set(COMMANDS)
    assert not unknown, f"ARGUMENTS names commands that no longer exist: {unknown}"


@pytest.mark.slow
def test_unmigrated_empty_database_is_exit_3_for_every_command(sandbox: Path) -> None:
    sqlite3.connect(sandbox / "data" / "atp.sqlite3").close()  # a real, empty SQLite database
    before = _listing(sandbox)
    outcomes = _run_all([c for c in COMMANDS if c != "migrate"], _env(sandbox), sandbox)
    assert _listing(sandbox) == before, "a command created or changed files"
    expect = "database schema is not at head (current=none"
    _assert_one_line_refusals(outcomes, 3, expect, NO_SETUP_NEEDED | SCHEMA_TOOLS | CANNOT_RUN_IS_2)
    _check_exempt(outcomes)
    _assert_one_line_refusals(
        [o for o in outcomes if o.command in CANNOT_RUN_IS_2], 2, "run `atp migrate`", set()
    )
    status = next(o for o in outcomes if o.command == "db-status")
    assert status.code == 3 and "current=none" in status.stdout and not status.stderr


def test_missing_database_file_is_exit_3_and_creates_nothing(sandbox: Path) -> None:
    # Same check as above (before any connection); a few readers and writers show it.
    data = sandbox / "data" / "not-yet"
    before = _listing(sandbox)
    commands = ["status", "why", "watchlist add", "settings set", "telegram status", "db-status"]
    outcomes = _run_all(commands, _env(sandbox, ATP_DATA_DIR=str(data)), sandbox)
    assert _listing(sandbox) == before, "a read command created the database or its directory"
    expect = f"no database at {data / 'atp.sqlite3'}; run `atp migrate`"
    _assert_one_line_refusals(outcomes, 3, expect, SCHEMA_TOOLS)
    status = outcomes[-1]
    assert status.code == 3 and "run `atp migrate`" in status.stdout and not status.stderr


@pytest.mark.slow
def test_unreachable_database_is_exit_2(sandbox: Path) -> None:
    before = _listing(sandbox)
    outcomes = _run_all(COMMANDS, _env(sandbox, DATABASE_URL=UNREACHABLE_PG), sandbox)
    assert _listing(sandbox) == before
    expect = "cannot use the database postgresql://postgres@127.0.0.1:1/x"
    _assert_one_line_refusals(outcomes, 2, expect, NO_SETUP_NEEDED)
    _check_exempt(outcomes)


BAD_SETTINGS = {
    "LOG_LEVEL": "LOUD",
    "DATABASE_URL": "nonsense://",
    "ATP_DATA_DIR": "<a file>",
    "DISPLAY_TIMEZONE": "Mars/Olympus",
}


@pytest.mark.slow
@pytest.mark.parametrize("variable", sorted(BAD_SETTINGS))
def test_each_bad_setting_is_exit_2_for_every_command(sandbox: Path, variable: str) -> None:
    value = BAD_SETTINGS[variable]
    if value == "<a file>":
        (sandbox / "a-file").write_text("not a directory")
        value = str(sandbox / "a-file")
    before = _listing(sandbox)
    outcomes = _run_all(TOP_LEVEL, _env(sandbox, **{variable: value}), sandbox)
    assert _listing(sandbox) == before
    expect = f"error: invalid configuration: {variable}:"
    _assert_one_line_refusals(outcomes, 2, expect, NO_SETUP_NEEDED)
    _check_exempt(outcomes)


def test_api_on_a_taken_port_is_one_line_and_exit_1(sandbox: Path) -> None:
    env = _env(sandbox)
    assert subprocess.run([ATP, "migrate"], env=env, capture_output=True).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = subprocess.run(
            [ATP, "api", "--port", port], env=env, capture_output=True, text=True, timeout=30
        )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in lines[0] and "--port" in lines[0]


def _cli(settings: Settings, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), obj=AppContext(settings=settings))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("value", "reason"),
    [("-5", "must be > 0"), ("1e9", "must be at most 100000 USD"), ("-0.01", "must be > 0")],
)
def test_negative_and_absurd_limits_are_refused_as_values(
    settings: Settings, value: str, reason: str
) -> None:
    code, out, err = _cli(settings, "settings", "set", "MAX_USD_PER_ORDER", value)
    assert code == 1 and err.startswith(f"error: MAX_USD_PER_ORDER: {reason}"), (out, err)
    assert _cli(settings, "settings", "list")[1].count("(default)") == len(SPECS)  # unchanged


def test_trade_amount_above_the_order_cap_is_saved_with_a_warning(settings: Settings) -> None:
    assert _cli(settings, "settings", "set", "MAX_USD_PER_ORDER", "1000")[0] == 0
    assert _cli(settings, "watchlist", "add", "BTC_USDT")[0] == 0
    code, out, err = _cli(settings, "watchlist", "set", "BTC_USDT", "trade_amount_usd", "5000")
    assert code == 0 and "trade_amount_usd - -> 5000" in out
    assert err.startswith("warning:") and "MAX_USD_PER_ORDER 1000" in err, err
    code, out, err = _cli(settings, "watchlist", "set", "BTC_USDT", "trade_amount_usd=500")
    assert code == 0 and "5000 -> 500" in out and not err
