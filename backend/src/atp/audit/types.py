"""The audit's result types: plain dataclasses, rendered to JSON and markdown by `report`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"
DRY, LIVE = "dry", "live"
EXIT_PASS, EXIT_FAIL, EXIT_CANNOT_RUN = 0, 1, 2


class AuditCannotRun(RuntimeError):
    """The audit cannot run at all (database unreachable, missing tables, not migrated)."""


@dataclass(frozen=True)
class Check:
    """One global check: PASS / WARN / FAIL with the evidence behind it and the fix."""

    name: str
    status: str
    summary: str
    code: str | None = None  # the blocker / reason code when it fails (same vocabulary as `why`)
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    """Alerts or trades of one symbol in the window: the first blocking cause (None = none)."""

    status: str  # alerts: SENT / BLOCKED / NONE; trades: ORDERED / BLOCKED / NONE
    cause: (
        str | None
    )  # the full reason as `atp why` prints it, e.g. TELEGRAM_DISABLED:token_missing
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str | None = None
    source: str | None = None  # global / configuration / state / ledger / message

    @property
    def code(self) -> str | None:
        """The cause without its detail suffix (NO_SIGNAL:BUY(rsi_below) -> NO_SIGNAL)."""
        return None if self.cause is None else self.cause.split(":", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "code": self.code}


@dataclass(frozen=True)
class SymbolAudit:
    symbol: str
    config: dict[str, Any]
    last_decision: dict[str, Any] | None
    alert: Verdict
    trade: Verdict
    window: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "config": self.config,
            "last_decision": self.last_decision,
            "alert": self.alert.to_dict(),
            "trade": self.trade.to_dict(),
            "window": self.window,
        }


@dataclass(frozen=True)
class RootCause:
    code: str
    kind: str  # global / alert / trade
    count: int
    symbols: list[str]
    fix: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AuditResult:
    generated_at: datetime
    since: datetime
    since_hours: float
    mode: str
    source: str
    checks: list[Check]
    global_causes: list[dict[str, Any]]
    symbols: list[SymbolAudit]
    root_causes: list[RootCause]
    notes: list[str] = field(default_factory=list)
    run_id: int | None = None

    @property
    def global_status(self) -> str:
        statuses = {c.status for c in self.checks}
        return FAIL if FAIL in statuses else WARN if WARN in statuses else PASS

    @property
    def exit_code(self) -> int:
        return EXIT_FAIL if self.global_status == FAIL else EXIT_PASS

    def to_dict(self) -> dict[str, Any]:
        return {
            "global_status": self.global_status,
            "generated_at": self.generated_at.isoformat(),
            "since": self.since.isoformat(),
            "since_hours": self.since_hours,
            "mode": self.mode,
            "source": self.source,
            "run_id": self.run_id,
            "checks": [c.to_dict() for c in self.checks],
            "global_causes": self.global_causes,
            "symbols": [s.to_dict() for s in self.symbols],
            "root_causes": [r.to_dict() for r in self.root_causes],
            "notes": self.notes,
        }
