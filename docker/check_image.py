"""Build-time check of the backend image: every module imports, migrations ship, CLI answers.

Run by docker/backend.Dockerfile as the runtime user; any failure fails the build, so an image
that lacks a file (the old system's crash loop) can never be produced.
"""

# ruff: noqa: T201  (a command-line script: printing is its output)
from __future__ import annotations

import importlib
import pkgutil
import sys
from importlib.resources import files

import atp

SKIPPED = (".migrations.versions", "atp.migrations.env")  # run by Alembic, not importable alone


def main() -> int:
    names = [
        info.name
        for info in pkgutil.walk_packages(atp.__path__, prefix="atp.")
        if not any(part in info.name for part in SKIPPED)
    ]
    failures = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # report every failure, not just the first
            failures[name] = repr(exc)
    versions = files("atp") / "migrations" / "versions"
    if not any(p.name.endswith(".py") for p in versions.iterdir()):
        failures["atp.migrations.versions"] = "no migration scripts in the package"
    for name, error in sorted(failures.items()):
        print(f"image check: {name}: {error}", file=sys.stderr)
    if failures or len(names) < 20:
        print(f"image check FAILED ({len(failures)} of {len(names)} modules)", file=sys.stderr)
        return 1
    print(f"image check: {len(names)} modules import")
    return 0


if __name__ == "__main__":
    sys.exit(main())
