"""Import every module of the package: a file missing from an image cannot go unnoticed."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

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


def test_postgres_engines_time_out_instead_of_hanging() -> None:
    """A silently dropping network must fail the connect in seconds, not hang a worker."""
    from sqlalchemy import event

    from atp.db.session import make_engine

    engine = make_engine("postgresql://postgres@127.0.0.1:1/x", connect_args={"sslmode": "disable"})
    seen: dict[str, object] = {}

    def capture(_dialect: object, _record: object, _cargs: object, cparams: dict) -> None:
        seen.update(cparams)
        raise ConnectionAbortedError("captured")

    event.listen(engine, "do_connect", capture)
    try:
        with pytest.raises(Exception, match="captured"):
            engine.connect()
    finally:
        engine.dispose()
    assert seen["connect_timeout"] == 10 and seen["keepalives"] == 1
    assert seen["sslmode"] == "disable"  # the caller's own arguments are kept
