"""Typed Crypto.com errors with the retry classes of the contract (spec §10).

`retry_class` tells callers what to do: NO (fix the request), BACKOFF (resend later),
RECONCILE (outcome unknown: look the order up before any resend) or ONCE (fix and retry once).
Reads treat RECONCILE like BACKOFF; writes (the private client) must reconcile.
"""

from __future__ import annotations

from atp.core.retry import RetryClass as RetryClass  # re-exported for the market data callers

RATE_LIMIT_CODE = 42901
INTERNAL_ERROR_CODE = 50001

_BACKOFF_CODES = {207, 222, 309, 40801, 42901, 50001, 9010001}
# 224 is "No/Reconcile" in the table: a matching-engine rejection of a write may still have
# left an order behind, so it is looked up before anything is resent.
_RECONCILE_CODES = {204, 205, 224, 40006, 120009}
_ONCE_CODES = {40102}
# Keys, nonce clock or IP allow-list: no call can succeed until an operator fixes it.
AUTH_CODES = frozenset({40101, 40102, 40103})
# Outcome unknown when a WRITE meets them (spec §10.2 "Reads: Backoff. Writes: Reconcile").
WRITE_UNKNOWN_OUTCOME_CODES = frozenset({40801, 50001})

# Names for log lines and error reasons; codes not listed render as "UNKNOWN".
CODE_NAMES: dict[int, str] = {
    0: "SUCCESS",
    202: "ACCOUNT_IS_SUSPENDED",
    204: "DUPLICATE_CLORDID",
    205: "DUPLICATE_ORDERID",
    207: "NO_MARK_PRICE",
    208: "INSTRUMENT_NOT_TRADABLE",
    209: "INVALID_INSTRUMENT",
    212: "INVALID_ORDERID",
    213: "INVALID_ORDERQTY",
    218: "INVALID_ORDTYPE",
    220: "INVALID_SIDE",
    221: "INVALID_TIF",
    222: "STALE_MARK_PRICE",
    224: "REJ_BY_MATCHING_ENGINE",
    225: "INVALID_LEVERAGE",
    226: "INVALID_LEVERAGE",
    229: "INVALID_REF_PRICE",
    230: "INVALID_REF_PRICE_TYPE",
    306: "INSUFFICIENT_AVAILABLE_BALANCE",
    308: "INVALID_PRICE",
    307: "INVALID_ORDSTATUS",
    309: "MARKET_IS_NOT_OPEN",
    314: "EXCEEDS_MAX_ORDER_SIZE",
    315: "FAR_AWAY_LIMIT_PRICE",
    316: "NO_ACTIVE_ORDER",
    318: "EXCEEDS_MAX_ALLOWED_ORDERS",
    319: "EXCEEDS_MAX_POSITION_SIZE",
    321: "EXCEEDS_MAX_AVAILABLE_BALANCE",
    325: "EXCEED_DAILY_VOL_LIMIT",
    415: "BELOW_MIN_ORDER_SIZE",
    416: "NO_MARGIN_ACCESS",
    1110: "REDUCE_ONLY_REJECTED",
    40001: "BAD_REQUEST",
    40002: "METHOD_NOT_FOUND",
    40003: "INVALID_REQUEST",
    40004: "MISSING_OR_INVALID_ARGUMENT",
    40005: "INVALID_DATE",
    40006: "DUPLICATE_REQUEST",
    40101: "UNAUTHORIZED",
    40102: "INVALID_NONCE",
    40103: "IP_ILLEGAL",
    40104: "USER_TIER_INVALID",
    40401: "NOT_FOUND",
    40801: "REQUEST_TIMEOUT",
    42901: "TOO_MANY_REQUESTS",
    43003: "FILL_OR_KILL",
    43004: "IMMEDIATE_OR_CANCEL",
    43005: "POST_ONLY_REJ",
    43012: "SELF_TRADE_PREVENTION",
    50001: "ERR_INTERNAL",
    50007: "INVALID_TRIGGER_PRICE",
    120009: "REJECTED",
    130008: "NON_APPLICABLE",
    140001: "API_DISABLED",
    9010001: "SYSTEM_MAINTENANCE",
}


def retry_class_for(code: int | None, http_status: int) -> RetryClass:
    """Retry class of an error response, from its code, else from its HTTP status."""
    if code is not None and code != 0:
        if code in _BACKOFF_CODES:
            return RetryClass.BACKOFF
        if code in _RECONCILE_CODES:
            return RetryClass.RECONCILE
        if code in _ONCE_CODES:
            return RetryClass.ONCE
        return RetryClass.NO
    if http_status == 429 or http_status >= 500 or http_status == 408:
        return RetryClass.BACKOFF
    return RetryClass.NO


class ExchangeError(Exception):
    """Any failed exchange call. `code` is the envelope code when one was readable."""

    def __init__(
        self,
        *,
        method: str,
        reason: str,
        code: int | None = None,
        http_status: int | None = None,
        retry_class: RetryClass = RetryClass.NO,
        detail: str = "",
    ) -> None:
        self.method = method
        self.reason = reason
        self.code = code
        self.http_status = http_status
        self.retry_class = retry_class
        self.detail = detail
        super().__init__(self.describe())

    @property
    def retryable(self) -> bool:
        """True when resending the same read later may succeed."""
        return self.retry_class in (RetryClass.BACKOFF, RetryClass.RECONCILE)

    def describe(self) -> str:
        parts = [self.reason]
        if self.code is not None:
            parts.append(f"code={self.code} {CODE_NAMES.get(self.code, 'UNKNOWN')}")
        if self.http_status is not None:
            parts.append(f"http={self.http_status}")
        if self.detail:
            parts.append(self.detail)
        return f"{self.method}: " + " ".join(parts)


class ExchangeRejectedError(ExchangeError):
    """The exchange answered with a non-zero code that is not a throttle or an outage."""


class ExchangeAuthError(ExchangeRejectedError):
    """40101 / 40102 / 40103: key, signature, nonce clock or IP allow-list refused."""


class ExchangeRateLimitedError(ExchangeError):
    """HTTP 429 / code 42901."""


class ExchangeUnavailableError(ExchangeError):
    """5xx, 50001, maintenance or 40801: the exchange could not answer now."""


class ExchangeTimeoutError(ExchangeError):
    """No answer within the timeout, or the connection failed."""


class ExchangeMalformedError(ExchangeError):
    """The body is not the documented envelope or a row misses/garbles a field."""


def error_from_code(*, method: str, code: int, message: str, http_status: int) -> ExchangeError:
    """Map a non-zero envelope code to the matching typed error."""
    retry = retry_class_for(code, http_status)
    cls: type[ExchangeError]
    if code == RATE_LIMIT_CODE:
        cls, reason = ExchangeRateLimitedError, "RATE_LIMITED"
    elif code in AUTH_CODES:
        cls, reason = ExchangeAuthError, "AUTH"
    elif retry is RetryClass.BACKOFF:
        cls, reason = ExchangeUnavailableError, "UNAVAILABLE"
    else:
        cls, reason = ExchangeRejectedError, "REJECTED"
    return cls(
        method=method,
        reason=reason,
        code=code,
        http_status=http_status,
        retry_class=retry,
        detail=message or CODE_NAMES.get(code, "UNKNOWN"),
    )


def outcome_unknown_for_write(error: ExchangeError) -> bool:
    """True when a create/cancel that failed this way may still have reached the book.

    A timeout or a dropped connection, 40801, 50001 and a 5xx without a readable code all leave
    the outcome open; throttles (42901), maintenance and explicit rejections do not.
    """
    if isinstance(error, ExchangeTimeoutError):
        return True
    if error.code in WRITE_UNKNOWN_OUTCOME_CODES:
        return True
    return error.code is None and isinstance(error, ExchangeUnavailableError)


def as_write_error(error: ExchangeError) -> ExchangeError:
    """The same error with RetryClass.RECONCILE when a write's outcome is unknown."""
    if outcome_unknown_for_write(error):
        error.retry_class = RetryClass.RECONCILE
    return error
