"""Import every module of the package: a file missing from an image cannot go unnoticed."""

from __future__ import annotations

import importlib
import pkgutil

import atp


def _all_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(atp.__path__, prefix="atp."):
        if ".migrations.versions" in info.name or info.name == "atp.migrations.env":
            continue  # run by Alembic, not importable on their own
        names.append(info.name)
    return names


def test_every_module_imports() -> None:
    names = _all_modules()
    assert len(names) > 20
    failures = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # collect them all, report together
            failures[name] = repr(exc)
    assert failures == {}


def test_migration_scripts_are_shipped_in_the_package() -> None:
    from importlib.resources import files

    versions = files("atp") / "migrations" / "versions"
    assert any(p.name.endswith(".py") for p in versions.iterdir())
    assert (files("atp") / "migrations" / "env.py").is_file()
