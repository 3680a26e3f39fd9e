"""What a caller does after a failed exchange call (spec §10.1): shared by market data and orders."""

from __future__ import annotations

from enum import StrEnum


class RetryClass(StrEnum):
    NO = "no"  # the request is wrong or refused: do not resend it as is
    BACKOFF = "backoff"  # nothing happened: resend later
    RECONCILE = "reconcile"  # outcome unknown: look the order up (client_oid) before any resend
    ONCE = "once"  # fix the cause (e.g. the nonce clock) and retry once
