"""The only place the test suite reads the environment.

`PG_URL` / `IN_CI` decide whether the PostgreSQL variants run (and whether skipping them is an
error). `child_env()` builds the environment of an `atp` subprocess: the developer's own atp,
Telegram and database variables are dropped so a test never talks to real services, then the
test's values are applied.
"""

from __future__ import annotations

import os

PG_URL = os.environ.get("ATP_TEST_DATABASE_URL", "").strip()
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Replays one run of the SIGKILL crash test (its seed is printed by every run).
CRASH_SEED = os.environ.get("ATP_CRASH_SEED", "").strip()
# Where the shell scripts under test find the machine's tools (a fake tool dir goes first).
HOST_PATH = os.environ.get("PATH", "/usr/bin:/bin")

_PRIVATE_PREFIXES = ("DATABASE_URL", "TELEGRAM_", "MONITOR_", "MARKET_", "ATP_", "ENVIRONMENT")


def child_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_PRIVATE_PREFIXES)}
    env.update(overrides)
    return env
