"""Rendering: the markdown report operators read and the JSON machines read (same content)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from atp.audit.types import FAIL, PASS, AuditResult, RootCause, SymbolAudit
from atp.monitor.fixes import fix_for

_MARK = {PASS: "✅", "WARN": "⚠️", FAIL: "❌"}


def rank_root_causes(result: AuditResult) -> list[RootCause]:
    """Failing global checks first, then per-symbol causes by how many symbols they block."""
    ranked = [
        RootCause(c.code or c.name, "global", 1, [], c.fix)
        for c in result.checks
        if c.status == FAIL
    ]
    by_cause: dict[tuple[str, str], list[str]] = defaultdict(list)
    for sym in result.symbols:
        if sym.alert.code is not None:
            by_cause[("alert", sym.alert.code)].append(sym.symbol)
        inherited = sym.trade.evidence.get("because") == "no alert was emitted"
        if sym.trade.code is not None and not inherited:
            by_cause[("trade", sym.trade.code)].append(sym.symbol)
    per_symbol = [
        RootCause(code, kind, len(symbols), symbols, fix_for(code, symbols[0]))
        for (kind, code), symbols in by_cause.items()
    ]
    per_symbol.sort(key=lambda r: (-r.count, r.kind, r.code))
    return ranked + per_symbol


def to_json(result: AuditResult) -> str:
    return json.dumps(result.to_dict(), indent=2, default=str, ensure_ascii=False)


def to_markdown(result: AuditResult) -> str:
    status = result.global_status
    lines = [
        "# No alerts / no trades audit",
        "",
        f"Generated: {result.generated_at.isoformat()}  ",
        f"Window: last {result.since_hours:g} h (since {result.since.isoformat()})  ",
        f"Mode: {result.mode} (source: {result.source})",
        "",
        f"## GLOBAL STATUS: {_MARK.get(status, '')} {status}",
        "",
        "### Global checks",
        "",
        "| Check | Status | Code | Summary |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {c.name} | {_MARK.get(c.status, '')} {c.status} | {c.code or '-'} | {_cell(c.summary)} |"
        for c in result.checks
    ]
    for check in result.checks:
        lines += ["", f"#### {check.name}: {check.status}", ""]
        lines += [f"- {key}: `{_compact(value)}`" for key, value in check.evidence.items()]
        if check.fix:
            lines.append(f"- **fix**: {check.fix}")
    if result.global_causes:
        lines += ["", "### Global causes (named first, as `atp why` does)", ""]
        lines += [f"- `{c['code']}`: {c['message']}" for c in result.global_causes]
    lines += _symbol_section(result.symbols)
    lines += _root_cause_section(result.root_causes)
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def _symbol_section(symbols: list[SymbolAudit]) -> list[str]:
    lines = [
        "",
        "## PER-SYMBOL ANALYSIS",
        "",
        "| Symbol | Alerts on | Trade on | Last decision | Signal | Alert | Alert cause | Trade | Trade cause |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in symbols:
        last = s.last_decision or {}
        lines.append(
            f"| {s.symbol} | {_yes(s.config.get('alert_enabled'))} | {_yes(s.config.get('trade_enabled'))} "
            f"| {last.get('evaluated_at', '-')} | {last.get('signal_side', '-')} "
            f"| {s.alert.status} | {_cell(s.alert.cause or '-')} | {s.trade.status} "
            f"| {_cell(s.trade.cause or '-')} |"
        )
    for s in symbols:
        lines += _symbol_detail(s)
    return lines


def _symbol_detail(s: SymbolAudit) -> list[str]:
    if s.alert.cause is None and s.trade.cause is None:
        return []
    lines = ["", f"### {s.symbol}", ""]
    for label, verdict in (("alert", s.alert), ("trade", s.trade)):
        if verdict.cause is None:
            continue
        lines.append(f"- **{label}**: `{verdict.cause}` (from {verdict.source})")
        for key, value in verdict.evidence.items():
            if key == "failing_conditions":
                lines += [
                    f"  - failing: {c['side']} {c['name']}: actual {_num(c['actual'])} vs "
                    f"threshold {_num(c['threshold'])} (gap {_num(c['gap'])}"
                    + (f", {c['gap_pct']}%)" if c["gap_pct"] is not None else ")")
                    for c in value
                ]
            elif value not in (None, {}, []):
                lines.append(f"  - {key}: `{_compact(value)}`")
        if verdict.fix:
            lines.append(f"  - fix: {verdict.fix}")
    return lines


def _root_cause_section(causes: list[RootCause]) -> list[str]:
    lines = ["", "## ROOT CAUSES (ranked)", ""]
    if not causes:
        return [*lines, "None: every audited symbol alerted and traded as configured."]
    for rank, cause in enumerate(causes, 1):
        where = "global" if cause.kind == "global" else f"{cause.kind}, {cause.count} symbol(s): "
        where += ", ".join(cause.symbols[:10])
        lines.append(f"{rank}. `{cause.code}` ({where})")
    lines += ["", "## RECOMMENDED FIXES", ""]
    seen: set[str] = set()
    for cause in causes:
        if cause.fix and cause.code not in seen:
            seen.add(cause.code)
            lines.append(f"- `{cause.code}`: {cause.fix}")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _compact(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 400 else text[:397] + "..."


def _num(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _yes(value: Any) -> str:
    return "-" if value is None else "yes" if value else "no"
