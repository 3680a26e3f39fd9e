"""Response envelope and scalar parsing rules of the contract (spec §6, P-1 and P-2).

- `code` (and `id`, timestamps) may be an integer or a numeric string: accept both.
- The body is read even on HTTP 4xx/5xx: the exchange puts `code`/`message` there.
- Decimal amounts are strings and become `Decimal`; never `float`.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from atp.adapters.cryptocom.errors import (
    ExchangeError,
    ExchangeMalformedError,
    ExchangeRateLimitedError,
    ExchangeUnavailableError,
    RetryClass,
    error_from_code,
)


class FieldError(ValueError):
    """A row field is missing or has the wrong shape; the message names the field."""


def parse_int(value: Any, name: str) -> int:
    """An integer sent as JSON number or numeric string (P-1). Booleans and floats are refused."""
    if isinstance(value, bool):
        raise FieldError(f"{name} is a boolean, expected an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise FieldError(f"{name}={value!r} is not an integer")


def parse_decimal(value: Any, name: str) -> Decimal:
    """A decimal string (or integer) as `Decimal`. Floats are read via their shortest repr."""
    if isinstance(value, bool) or value is None:
        raise FieldError(f"{name} is missing")
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(value) if isinstance(value, (str, int)) else None
    except InvalidOperation:
        result = None
    if result is None or not result.is_finite():
        raise FieldError(f"{name}={value!r} is not a decimal")
    return result


def parse_optional_decimal(value: Any, name: str) -> Decimal | None:
    return None if value is None or value == "" else parse_decimal(value, name)


def parse_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise FieldError(f"{name}={value!r} is not a boolean")


def require(row: dict[str, Any], name: str) -> Any:
    if name not in row or row[name] is None:
        raise FieldError(f"{name} is missing")
    return row[name]


def parse_response(
    method: str, http_status: int, content: bytes, *, result_required: bool = True
) -> Any:
    """Return `result` of a successful envelope, or raise the matching ExchangeError.

    `result_required=False` is for calls documented to answer code 0 without a result
    (`private/advanced/cancel-oco`); they return None then. An empty body is still an error.
    """
    body = _decode(method, http_status, content)
    code = _read_code(method, http_status, body)
    if code != 0:
        message = body.get("message")
        raise error_from_code(
            method=method,
            code=code,
            message=message if isinstance(message, str) else "",
            http_status=http_status,
        )
    if not 200 <= http_status < 300:
        raise _status_error(method, http_status, "code 0 with a non-2xx status")
    if "result" not in body:
        if not result_required:
            return None
        raise ExchangeMalformedError(method=method, reason="MALFORMED", detail="no result")
    return body["result"]


def _decode(method: str, http_status: int, content: bytes) -> dict[str, Any]:
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        # An HTML error page from a proxy on 429/5xx is still a throttle/outage, not garbage.
        raise _status_error(method, http_status, "body is not JSON") from None
    if not isinstance(body, dict):
        raise _status_error(method, http_status, "body is not a JSON object")
    return body


def _read_code(method: str, http_status: int, body: dict[str, Any]) -> int:
    try:
        return parse_int(body.get("code"), "code")
    except FieldError as exc:
        raise _status_error(method, http_status, str(exc)) from None


def _status_error(method: str, http_status: int, detail: str) -> ExchangeError:
    if http_status == 429:
        return ExchangeRateLimitedError(
            method=method,
            reason="RATE_LIMITED",
            http_status=429,
            retry_class=RetryClass.BACKOFF,
            detail=detail,
        )
    if http_status >= 500 or http_status == 408:
        return ExchangeUnavailableError(
            method=method,
            reason="UNAVAILABLE",
            http_status=http_status,
            retry_class=RetryClass.BACKOFF,
            detail=detail,
        )
    return ExchangeMalformedError(
        method=method, reason="MALFORMED", http_status=http_status, detail=detail
    )
