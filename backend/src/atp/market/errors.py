"""Errors any market-data source may raise; the updater records them per symbol."""

from __future__ import annotations


class MarketDataError(Exception):
    """A fetch that produced nothing trustworthy. `reason` is short and machine-readable."""

    retryable: bool = False

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class MalformedDataError(MarketDataError):
    """The answer was not what the contract promises (bad JSON, missing or invalid field)."""

    def __init__(self, detail: str) -> None:
        super().__init__("MALFORMED", detail)
