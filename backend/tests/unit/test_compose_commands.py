"""Every `atp ...` in docker-compose.yml (service commands and healthchecks) is a real command.

Resolved against the click group itself, options and arguments included, without running
anything: a renamed command or option fails here, not in a container at 3 a.m.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import yaml

from atp.cli import main

COMPOSE = Path(__file__).resolve().parents[3] / "docker-compose.yml"
SHELL_SEPARATORS = re.compile(r"&&|\|\||;|\|")


def resolve_atp(args: list[str]) -> str | None:
    """None when `atp <args>` parses; else why not (unknown command, bad option or argument)."""
    command: click.Command = main
    context = click.Context(main, info_name="atp")
    rest = list(args)
    while isinstance(command, click.Group):
        if not rest or rest[0].startswith("-"):
            return f"`atp {' '.join(args)}` names no subcommand"
        sub = command.get_command(context, rest[0])
        if sub is None:
            return f"`atp {' '.join(args)}`: no such command {rest[0]!r}"
        context = click.Context(sub, info_name=rest[0], parent=context)
        command, rest = sub, rest[1:]
    try:
        command.make_context(context.info_name, list(rest), parent=context.parent)
    except click.ClickException as exc:
        return f"`atp {' '.join(args)}`: {exc.format_message()}"
    return None


def atp_invocations(argv: Any) -> list[list[str]]:
    """The `atp ...` argument lists in a compose command / healthcheck test (list or string)."""
    if argv is None:
        return []
    if isinstance(argv, list) and argv and argv[0] in ("CMD", "CMD-SHELL"):
        argv = argv[1:] if argv[0] == "CMD" else " ".join(argv[1:])
    if isinstance(argv, list) and argv and argv[0] in ("sh", "bash") and "-c" in argv:
        argv = argv[argv.index("-c") + 1]
    if isinstance(argv, str):
        segments = [shlex.split(part) for part in SHELL_SEPARATORS.split(argv)]
    else:
        segments = [list(map(str, argv))]
    return [s[1:] for s in segments if s and Path(s[0]).name == "atp"]


def compose_invocations(compose: dict[str, Any]) -> dict[str, list[list[str]]]:
    found: dict[str, list[list[str]]] = {}
    for name, service in (compose.get("services") or {}).items():
        calls = atp_invocations(service.get("command"))
        if service.get("entrypoint") in (["atp"], "atp"):
            calls.append([*(service.get("command") or [])])
        calls += atp_invocations((service.get("healthcheck") or {}).get("test"))
        if calls:
            found[name] = calls
    return found


def test_the_resolver_accepts_real_commands_and_refuses_made_up_ones() -> None:
    assert resolve_atp(["monitor"]) is None
    assert resolve_atp(["healthcheck", "sync", "--max-age", "120"]) is None
    assert resolve_atp(["audit", "--notify-on-fail", "--since-hours", "24"]) is None
    assert resolve_atp(["watchlist", "list"]) is None
    assert "no such command 'nosuch'" in (resolve_atp(["nosuch"]) or "")
    assert "No such option" in (resolve_atp(["monitor", "--bogus"]) or "")
    assert "is not one of" in (resolve_atp(["healthcheck", "frontend"]) or "")
    assert "names no subcommand" in (resolve_atp(["watchlist"]) or "")
    shell = {"healthcheck": {"test": ["CMD-SHELL", "atp healthcheck api && echo ok"]}}
    assert compose_invocations({"services": {"x": shell}}) == {"x": [["healthcheck", "api"]]}


def test_every_compose_command_is_a_real_atp_command() -> None:
    assert COMPOSE.is_file(), "docker-compose.yml is missing"
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    found = compose_invocations(compose)
    assert {"migrate", "api", "monitor", "market", "sender", "sync"} <= set(found), found
    problems = [
        f"{service}: {problem}"
        for service, calls in sorted(found.items())
        for args in calls
        if (problem := resolve_atp(args)) is not None
    ]
    assert not problems, "\n".join(problems)


def test_the_scheduled_audit_examples_run_real_commands() -> None:
    """deploy/cron and deploy/systemd: the daily audit with its Telegram message on FAIL."""
    from tests.unit.test_docs_commands import mentions_in

    deploy = COMPOSE.parent / "deploy"
    cron = (deploy / "cron" / "atp-audit.cron").read_text(encoding="utf-8")
    service = (deploy / "systemd" / "atp-audit.service").read_text(encoding="utf-8")
    lines = [line for line in cron.splitlines() if line and not line.startswith("#")]
    schedule = [line.split(None, 6)[6] for line in lines if line[0].isdigit()]
    lines = [
        line.partition("=")[2] for line in service.splitlines() if line.startswith("ExecStart=")
    ]
    calls = [args for command in [*schedule, *lines] for _, args in mentions_in(command)]
    assert len(calls) == 2, calls
    for args in calls:
        assert resolve_atp(args) is None, args
        assert {"audit", "--notify-on-fail"} <= set(args)
    assert "OnCalendar=" in (deploy / "systemd" / "atp-audit.timer").read_text(encoding="utf-8")
