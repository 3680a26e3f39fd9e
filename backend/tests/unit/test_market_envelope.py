"""Envelope parsing, retry classes and token buckets of the Crypto.com adapter."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import pytest

from atp.adapters.cryptocom.envelope import FieldError, parse_decimal, parse_int, parse_response
from atp.adapters.cryptocom.errors import (
    ExchangeMalformedError,
    ExchangeRateLimitedError,
    ExchangeRejectedError,
    ExchangeUnavailableError,
    RetryClass,
    retry_class_for,
)
from atp.adapters.cryptocom.parsing import candle_from_row
from atp.adapters.cryptocom.ratelimit import MethodRateLimiter, TokenBucket, documented_limit

M = "public/get-tickers"


def body(**fields: object) -> bytes:
    return json.dumps({"id": -1, "method": M, **fields}).encode()


def test_success_with_integer_or_string_code() -> None:
    assert parse_response(M, 200, body(code=0, result={"data": []})) == {"data": []}
    assert parse_response(M, 200, body(code="0", result={"data": [1]})) == {"data": [1]}


@pytest.mark.parametrize(
    ("status", "content", "error", "retry"),
    [
        (400, body(code=40003, message="INVALID_REQUEST"), ExchangeRejectedError, RetryClass.NO),
        (400, body(code="40004"), ExchangeRejectedError, RetryClass.NO),
        (
            429,
            body(code=42901, message="TOO_MANY_REQUESTS"),
            ExchangeRateLimitedError,
            RetryClass.BACKOFF,
        ),
        (429, b"Too Many Requests", ExchangeRateLimitedError, RetryClass.BACKOFF),
        (500, body(code=50001), ExchangeUnavailableError, RetryClass.BACKOFF),
        (502, b"<html>Bad Gateway</html>", ExchangeUnavailableError, RetryClass.BACKOFF),
        (200, body(code=9010001), ExchangeUnavailableError, RetryClass.BACKOFF),
        (200, body(code=40101), ExchangeRejectedError, RetryClass.NO),  # auth failure with HTTP 200
        (200, b'{"code": 0, "result": {"da', ExchangeMalformedError, RetryClass.NO),
        (200, body(code=0), ExchangeMalformedError, RetryClass.NO),
        (200, body(code=1.5, result={}), ExchangeMalformedError, RetryClass.NO),
        (200, b"[]", ExchangeMalformedError, RetryClass.NO),
    ],
)
def test_error_envelopes_map_to_typed_errors(
    status: int, content: bytes, error: type, retry: RetryClass
) -> None:
    with pytest.raises(error) as info:
        parse_response(M, status, content)
    assert info.value.retry_class is retry


def test_retry_classes_follow_the_contract_table() -> None:
    assert retry_class_for(204, 400) is RetryClass.RECONCILE
    assert retry_class_for(40102, 400) is RetryClass.ONCE
    assert retry_class_for(308, 400) is RetryClass.NO
    assert retry_class_for(None, 503) is RetryClass.BACKOFF


def test_scalars() -> None:
    assert parse_int("1700000000000", "t") == 1700000000000 and parse_int(7, "t") == 7
    assert parse_decimal("0.000012345", "p") == Decimal("0.000012345")
    for bad in (True, 1.5, "1.5", None):
        with pytest.raises(FieldError):
            parse_int(bad, "t")
    for bad in ("abc", "NaN", None, "Infinity"):
        with pytest.raises(FieldError):
            parse_decimal(bad, "p")


def test_candle_rows_are_validated() -> None:
    good = {"t": "1700000000000", "o": "10", "h": "12", "l": "9", "c": "11", "v": "5"}
    assert candle_from_row(good).close == Decimal(11)
    for broken in (
        {**good, "h": "10.5"},
        {**good, "o": "-1"},
        {k: v for k, v in good.items() if k != "c"},
        {**good, "v": "-2"},
    ):
        with pytest.raises(FieldError):
            candle_from_row(broken)


async def test_token_bucket_paces_after_the_burst() -> None:
    bucket = TokenBucket(rate_per_second=200, capacity=5)
    started = time.monotonic()
    await asyncio.gather(*(bucket.acquire() for _ in range(25)))
    assert time.monotonic() - started >= (25 - 5) / 200 * 0.9


async def test_penalize_pauses_everyone() -> None:
    bucket = TokenBucket(rate_per_second=1000, capacity=10)
    bucket.penalize(0.15)
    started = time.monotonic()
    await bucket.acquire()
    assert time.monotonic() - started >= 0.14


def test_documented_limits() -> None:
    assert documented_limit("public/get-candlestick").rate_per_second == 100
    assert documented_limit("private/get-trades").rate_per_second == 1
    assert documented_limit("private/user-balance").rate_per_second == pytest.approx(30)
    limiter = MethodRateLimiter(max_burst=10)
    assert limiter.bucket("public/get-tickers").capacity == 10
    assert limiter.bucket("private/create-order").capacity == 10
