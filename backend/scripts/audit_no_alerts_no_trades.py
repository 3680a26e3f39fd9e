#!/usr/bin/env python3
"""Cron entry point of the "no alerts / no trades" audit: the same flags as `atp audit`.

    python backend/scripts/audit_no_alerts_no_trades.py --since-hours 24 [--symbols A,B]
        [--mode dry|live] [--output docs/reports/no-alerts-no-trades-audit.md] [--json FILE]

It runs the `atp audit` command itself (same checks, same report, same exit codes: 0 PASS,
1 FAIL, 2 cannot run), recorded in `audit_runs` with source `cron`. Works from a checkout with
the repository's virtualenv python even when the package is not installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def main(argv: list[str]) -> int:
    try:
        import atp  # noqa: F401
    except ImportError:  # a bare checkout: use the sources next to this script
        sys.path.insert(0, str(SRC))
    from atp.cli import main as atp_main

    try:
        atp_main.main(
            args=["audit", *argv, "--source", "cron"], prog_name="audit_no_alerts_no_trades.py"
        )
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
