"""Every `atp ...` and `make ...` command named in docs/ and README.md exists.

Code blocks and inline code are scanned. An `atp` command is resolved against the click group
(subcommands, and every `--option` against the command that must accept it); a `make` target
against the Makefile. Arguments and option values are not checked (docs write placeholders such
as SYMBOL or <sha> there). `a/b/c` in a subcommand position means "a, b or c".
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click

from atp.cli import main

ROOT = Path(__file__).resolve().parents[3]
FENCE = re.compile(r"^\s*(```|~~~)")
INDENTED_COMMAND = re.compile(r"^ {4,}(\S*/)?(atp|make) ")
INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
SEPARATORS = re.compile(r"&&|\|\||;|\||\$\(|\)|`")
REDIRECTION = re.compile(r"^\d*[<>]")
ENV_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=\S*$")
PREFIXES = {"$", "sudo", "time", "exec"}
OPTION = re.compile(r"^--?[A-Za-z]")  # not a negative number such as -5
MAKE_TARGET = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:(?!=)", re.MULTILINE)


@dataclass(frozen=True)
class Mention:
    source: str  # file:line
    tool: str  # atp / make
    args: tuple[str, ...]


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def code_snippets(text: str) -> Iterator[tuple[int, str]]:
    """(line number, code) for every line of a fenced block, every inline code span, and every
    indented code line that runs `atp` or `make` (indented prose in lists is left alone)."""
    in_block = False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            in_block = not in_block
            continue
        if in_block:
            yield number, line
            continue
        if INDENTED_COMMAND.match(line):
            yield number, line.strip()
        for match in INLINE.finditer(line):
            yield number, match.group(1)


def _tokens(segment: str) -> list[str]:
    """The words of one shell command, up to its first redirection (`>/dev/null`, `2>&1`)."""
    try:
        words = shlex.split(segment, comments=True)
    except ValueError:  # an unbalanced quote in prose-like code: plain words are enough here
        words = segment.split()
    cut = next((i for i, w in enumerate(words) if REDIRECTION.match(w)), len(words))
    return words[:cut]


def mentions_in(code: str) -> Iterator[tuple[str, list[str]]]:
    """("atp" | "make", following tokens) for each command a shell line runs."""
    for segment in SEPARATORS.split(code):
        tokens = _tokens(segment)
        start = 0
        while start < len(tokens) and (
            tokens[start] in PREFIXES or ENV_ASSIGNMENT.match(tokens[start])
        ):
            start += 1
        tokens = tokens[start:]
        if not tokens:
            continue
        head = tokens[0]
        if head == "make" or Path(head).name == "atp":
            yield ("make" if head == "make" else "atp"), tokens[1:]
        elif Path(head).name in ("docker", "docker-compose") and "atp" in tokens:
            # `docker compose exec api atp status`: the command after the service name
            index = tokens.index("atp")
            if {"exec", "run"} & set(tokens[:index]):
                yield "atp", tokens[index + 1 :]


def all_mentions() -> list[Mention]:
    found = []
    for path in doc_files():
        text = path.read_text(encoding="utf-8")
        for number, code in code_snippets(text):
            for tool, args in mentions_in(code):
                source = f"{path.relative_to(ROOT)}:{number}"
                found.append(Mention(source, tool, tuple(args)))
    return found


def _clean(token: str) -> str:
    return token.strip("[](){},.:")


def check_atp(args: tuple[str, ...]) -> list[str]:
    """Problems with `atp <args>` (empty: it exists)."""
    words = [_clean(a) for a in args if _clean(a) and _clean(a) != "..."]
    if not words or words[0].startswith("-"):
        return []  # `atp` alone, or `atp --help`
    return _check_level(main, click.Context(main, info_name="atp"), words, "atp")


def _check_level(group: click.Group, ctx: click.Context, words: list[str], path: str) -> list[str]:
    problems: list[str] = []
    for name in words[0].split("/"):
        command = group.get_command(ctx, name)
        if command is None:
            problems.append(f"`{path} {name}` does not exist")
            continue
        sub_ctx = click.Context(command, info_name=name, parent=ctx)
        rest = words[1:]
        if isinstance(command, click.Group):
            if rest and not rest[0].startswith("-") and rest[0][:1].islower():
                problems += _check_level(command, sub_ctx, rest, f"{path} {name}")
            continue
        problems += _check_options(command, rest, f"{path} {name}")
    return problems


def _check_options(command: click.Command, words: list[str], path: str) -> list[str]:
    known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    known.add("--help")
    options = [w.split("=", 1)[0] for w in words if OPTION.match(w)]
    return [f"`{path}` has no option {opt}" for opt in options if opt not in known]


def make_targets() -> set[str]:
    return set(MAKE_TARGET.findall((ROOT / "Makefile").read_text(encoding="utf-8")))


def check_make(args: tuple[str, ...], targets: set[str]) -> list[str]:
    if "-C" in args or "-f" in args:
        return []  # another Makefile
    wanted = [a for a in args if not a.startswith("-") and "=" not in a and _clean(a)]
    return [f"`make {t}`: no such target" for t in map(_clean, wanted) if t not in targets]


def test_the_checker_finds_made_up_commands() -> None:
    assert check_atp(("status", "--check")) == []
    assert check_atp(("watchlist", "list/add/set")) == []
    assert check_atp(("healthcheck", "monitor", "--max-age", "60")) == []
    assert check_atp(("audit", "[--since-hours", "N]", "--mode", "dry|live")) == []
    assert check_atp(("nosuch",)) == ["`atp nosuch` does not exist"]
    assert check_atp(("watchlist", "frobnicate")) == ["`atp watchlist frobnicate` does not exist"]
    assert check_atp(("status", "--verbose")) == ["`atp status` has no option --verbose"]
    assert check_make(("test", "nosuch"), {"test"}) == ["`make nosuch`: no such target"]
    code = "sudo docker compose exec api atp status && make lint"
    assert list(mentions_in(code)) == [("atp", ["status"]), ("make", ["lint"])]
    assert list(mentions_in("pg_dump -U atp -d atp > dump.sql")) == []
    doc = "Run `atp why X` or:\n\n    atp audit --json F\n\n```\nmake lint\n```\n"
    assert list(code_snippets(doc)) == [
        (1, "atp why X"),
        (3, "atp audit --json F"),
        (6, "make lint"),
    ]


def test_every_command_in_the_docs_exists() -> None:
    mentions = all_mentions()
    assert len([m for m in mentions if m.tool == "atp"]) > 20  # the scan itself works
    targets = make_targets()
    problems = [
        f"{m.source}: {problem}"
        for m in mentions
        for problem in (check_atp(m.args) if m.tool == "atp" else check_make(m.args, targets))
    ]
    assert not problems, "\n".join(problems)
