"""Layering: areas never import the composition root (`atp.runtime`); only entry points
(cli, api, bot) and runtime itself may. The shared worker machinery lives in `atp.workers`."""

from __future__ import annotations

import ast
from pathlib import Path

import atp

ROOT = Path(atp.__file__).parent
ENTRY_POINTS = {"runtime", "cli", "api", "bot"}
# Known debt, to be removed, never extended: worker classes that still take the AppContext.
KNOWN = {
    ("monitor/worker.py", "atp.runtime.context"),
    ("orders/service.py", "atp.runtime.context"),
}


def _runtime_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found |= {n for n in names if n == "atp.runtime" or n.startswith("atp.runtime.")}
    return found


def test_no_area_imports_the_composition_root() -> None:
    offenders = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in ENTRY_POINTS:
            continue
        offenders |= {(relative.as_posix(), name) for name in _runtime_imports(path)}
    assert offenders - KNOWN == set(), "areas must not import atp.runtime"
    assert KNOWN - offenders == set(), "debt paid: remove it from KNOWN"
