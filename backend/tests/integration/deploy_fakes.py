"""Fake `docker` and `docker-compose` for the deploy-script tests (scripts/deploy_aws.sh).

Both are one small Python program (FAKE_TOOL picks the role) that keeps the stack's state in a
JSON file: which image tag the services run, the database's Alembic revision, every call. Image
heads are revision numbers ("0003" < "0004"); an image knows every revision up to its head, as
Alembic would: `atp migrate` on a database newer than the image fails, like the real one does.

Knobs (environment): FAKE_HEADS ("tag=rev,..."), FAKE_IMAGES (tags present), FAKE_BAD (tags
whose services never turn healthy), FAKE_MIGRATE_FAIL (tags whose migration fails).
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

SERVICES = ["db", "migrate", "api", "monitor", "market", "sender", "sync", "bot", "backup"]


def _load(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {"running": None, "db_rev": None, "calls": []}


def _csv(name: str) -> list[str]:
    return [p for p in os.environ.get(name, "").split(",") if p]


def _head(tag: str) -> str:
    return dict(p.split("=") for p in _csv("FAKE_HEADS"))[tag]


def _migrate(state: dict, tag: str) -> int:
    if tag in _csv("FAKE_MIGRATE_FAIL") or (state["db_rev"] or "") > _head(tag):
        return 1
    state["db_rev"] = _head(tag)
    return 0


def compose(state: dict, args: list[str]) -> int:
    while args[:1] == ["--profile"]:
        args = args[2:]
    tag = os.environ.get("ATP_TAG", "")
    command, rest = args[0], args[1:]
    if command == "ps":
        names = [a for a in rest if not a.startswith("-")]
        # plus a one-off container a failed `run --rm migrate` of an earlier deploy left behind
        print("\n".join(f"cid-{name}" for name in names or [*SERVICES, "oneoff-migrate"]))
    elif command == "up":
        services = [a for a in rest if not a.startswith("-")]
        if services and set(services) <= {"db", "backup"}:
            return 0
        if _migrate(state, tag):  # migrate runs first: every service depends on it
            return 1
        state["running"] = tag
    elif command == "run":
        extra = [a for a in rest if not a.startswith("-")][1:]
        if not extra:
            return _migrate(state, tag)
        target = extra[-1]  # python3 /opt/atp-tools/schema_downgrade.py TARGET
        if target > _head(tag):
            return 3
        state["db_rev"] = target
    elif command == "exec" and "backup" in rest:
        print("/backups/atp-20260101T000000Z.dump")
    elif command == "exec" and "db" in rest:
        print(state["db_rev"] or "")
    return 0


def docker(state: dict, args: list[str]) -> int:
    if args[:2] == ["image", "inspect"]:
        return 0 if args[2].rpartition(":")[2] in _csv("FAKE_IMAGES") else 1
    if args[0] == "inspect":  # -f '{{.Name}} {{.State.Status}} {{.State.ExitCode}} <health>' ID
        service = args[-1].removeprefix("cid-")
        if service == "oneoff-migrate":
            return print(f"/{service} exited 1 none True") or 0
        if service == "migrate":
            return print(f"/{service} exited 0 none False") or 0
        health = "unhealthy" if state["running"] in _csv("FAKE_BAD") else "healthy"
        return print(f"/{service} running 0 {health} False") or 0
    if args[0] == "run":
        image = next(a for a in args[1:] if not a.startswith("-"))
        return print(_head(image.rpartition(":")[2])) or 0
    return 0


def main() -> int:
    path = Path(os.environ["FAKE_STATE"])
    state = _load(path)
    role, args = os.environ["FAKE_TOOL_ROLE"], sys.argv[1:]
    state["calls"].append({"tool": role, "args": args, "tag": os.environ.get("ATP_TAG")})
    code = compose(state, args) if role == "compose" else docker(state, args)
    path.write_text(json.dumps(state))
    return code


def install(bin_dir: Path) -> None:
    """Write `docker` and `docker-compose` into bin_dir, both running this file."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, role in (("docker", "docker"), ("docker-compose", "compose")):
        tool = bin_dir / name
        tool.write_text(
            f'#!/usr/bin/env bash\nFAKE_TOOL_ROLE={role} exec {sys.executable} {__file__} "$@"\n'
        )
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)


if __name__ == "__main__":
    sys.exit(main())
