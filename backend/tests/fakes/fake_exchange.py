"""A fake Crypto.com Exchange v1: a REAL HTTP server on 127.0.0.1 (ephemeral port).

The real client code (httpx) talks to it unchanged. It serves `/exchange/v1/{method}` with the
real envelope (`{"id","method","code","message"?,"result"?}`), enforces per-method, per-IP token
buckets (HTTP 429 / code 42901, spec §11 and F-26) and lets tests inject faults.

Built to grow: methods live in a registry (`register(name, verb, handler, limit)`). The public
market-data methods are registered by `fake_exchange_public.install_public_methods`; the signed
private methods (POST, JSON body in `FakeRequest.body`) by `fake_exchange_private`, whose
account, prices and orders tests drive through `fake.private`.

Usage:
    with FakeExchange(symbols=["BTC_USDT"]) as fake:
        settings = Settings(..., cryptocom_base_url=fake.base_url)
        fake.inject(Fault("rate_limit", method="public/get-candlestick", times=2))
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_PREFIX = "/exchange/v1/"
PUBLIC_LIMIT = (100, 1.0)

FAULT_KINDS = {
    "rate_limit",  # HTTP 429, code 42901
    "server_error",  # HTTP `status` (500), code `code` (50001) in a JSON body
    "html_error",  # HTTP `status` (502) with an HTML body, as a proxy would send
    "malformed",  # HTTP 200 with a truncated JSON body
    "incomplete",  # HTTP 200, valid envelope, first data row lacks `drop_field`
    "slow",  # sleep `delay_s`, then answer normally
    "error_code",  # HTTP `status`, code `code` (e.g. 9010001 maintenance)
    "after_accept",  # run the handler (the write lands), then answer `code` (40801) / `status` (408)
}


class FakeApiError(Exception):
    """Raised by handlers: becomes an error envelope with this code and HTTP status."""

    def __init__(
        self, code: int, http_status: int = 400, message: str = "", result: Any = None
    ) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.http_status = http_status
        self.message = message or CODE_MESSAGES.get(code, "ERROR")
        self.result = result  # spec P-3 / F-25: some rejections carry an order-like result


CODE_MESSAGES = {
    209: "INVALID_INSTRUMENT",
    40001: "BAD_REQUEST",
    40002: "METHOD_NOT_FOUND",
    40003: "INVALID_REQUEST",
    40004: "MISSING_OR_INVALID_ARGUMENT",
    40801: "REQUEST_TIMEOUT",
    42901: "TOO_MANY_REQUESTS",
    50001: "ERR_INTERNAL",
    9010001: "SYSTEM_MAINTENANCE",
}


@dataclass
class FakeRequest:
    method: str
    verb: str
    query: dict[str, str]
    body: dict[str, Any] | None
    client_ip: str
    headers: dict[str, str]


Handler = Callable[[FakeRequest], Any]


@dataclass(frozen=True)
class MethodSpec:
    name: str
    verb: str  # GET for public, POST for private
    handler: Handler
    limit: tuple[int, float]  # (count, per seconds)


@dataclass
class Fault:
    """One injected misbehaviour, matched by method and (optionally) `instrument_name`."""

    kind: str
    method: str | None = None
    symbol: str | None = None
    times: int | None = 1  # None = until cleared
    delay_s: float = 0.0
    status: int | None = None
    code: int | None = None
    drop_field: str | None = None
    hits: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")

    def matches(self, request: FakeRequest) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is not None and self.method != request.method:
            return False
        return self.symbol is None or _instrument_of(request) == self.symbol


def _instrument_of(request: FakeRequest) -> str | None:
    params = (request.body or {}).get("params")
    if isinstance(params, dict) and "instrument_name" in params:
        return str(params["instrument_name"])
    return request.query.get("instrument_name")


@dataclass
class RequestLog:
    method: str
    query: dict[str, str]
    status: int
    code: int | None
    at: float


class _Bucket:
    def __init__(self, count: int, per_seconds: float) -> None:
        self.rate = count / per_seconds
        self.capacity = float(count)
        self.tokens = float(count)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json"


class FakeExchange:
    def __init__(
        self,
        *,
        symbols: Iterable[str] | None = None,
        seed: int = 1,
        latency_s: float = 0.0,
        clock_ms: Callable[[], int] | None = None,
        codes_as_strings: bool = False,
        enforce_rate_limits: bool = True,
    ) -> None:
        from tests.fakes.fake_exchange_private import install_private_methods
        from tests.fakes.fake_exchange_public import FakeMarket, install_public_methods

        self.latency_s = latency_s
        self.codes_as_strings = codes_as_strings
        self.enforce_rate_limits = enforce_rate_limits
        self.clock_ms: Callable[[], int] = clock_ms or (lambda: int(time.time() * 1000))
        self.market = FakeMarket(symbols=symbols, seed=seed, clock_ms=lambda: self.clock_ms())
        self.methods: dict[str, MethodSpec] = {}
        self.faults: list[Fault] = []
        self.log: list[RequestLog] = []
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        install_public_methods(self)
        self.private = install_private_methods(self)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeExchange:
        server = _Server(("127.0.0.1", 0), _make_handler(self))
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-exchange",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.private.stop_ticking()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeExchange:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/exchange/v1"

    # --- configuration --------------------------------------------------------------------

    def register(self, name: str, verb: str, handler: Handler, limit: tuple[int, float]) -> None:
        self.methods[name] = MethodSpec(name, verb.upper(), handler, limit)

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def requests(self, method: str | None = None) -> list[RequestLog]:
        with self._lock:
            return [r for r in self.log if method is None or r.method == method]

    # --- request handling (called from server threads) -------------------------------------

    def handle(
        self, verb: str, path: str, body: bytes, client_ip: str, headers: dict[str, str]
    ) -> _Reply:
        parts = urlsplit(path)
        if not parts.path.startswith(API_PREFIX):
            return _Reply(404, b"not found", "text/plain")
        name = parts.path[len(API_PREFIX) :]
        request = FakeRequest(
            name,
            verb,
            dict(parse_qsl(parts.query, keep_blank_values=True)),
            None,
            client_ip,
            headers,
        )
        if self.latency_s:
            time.sleep(self.latency_s)
        reply, code = self._dispatch(request, body)
        with self._lock:
            self.log.append(RequestLog(name, request.query, reply.status, code, time.monotonic()))
        return reply

    def _dispatch(self, request: FakeRequest, body: bytes) -> tuple[_Reply, int | None]:
        spec = self.methods.get(request.method)
        try:
            if spec is None:
                raise FakeApiError(40002)
            self._check_verb(spec, request, body)
            if not self._take_token(spec, _bucket_owner(request)):
                raise FakeApiError(42901, 429)
            fault = self._pick_fault(request)
            if fault is not None and fault.kind not in ("incomplete", "after_accept"):
                early = self._apply_fault(fault, request)
                if early is not None:
                    return early
            result = spec.handler(request)
            if fault is not None and fault.kind == "incomplete":
                result = _drop_field(result, fault.drop_field)
            if fault is not None and fault.kind == "after_accept":
                # The write has landed; the caller only sees a timeout / internal error (F-27).
                raise FakeApiError(fault.code or 40801, fault.status or 408)
        except FakeApiError as err:
            return self._envelope(
                request.method, err.code, err.result, err.http_status, err.message, request
            ), err.code
        return self._envelope(request.method, 0, result, 200, "", request), 0

    def _check_verb(self, spec: MethodSpec, request: FakeRequest, body: bytes) -> None:
        if request.verb != spec.verb:
            # Spec F-1: public via POST -> 50001; private via GET -> 40003.
            raise FakeApiError(50001 if spec.verb == "GET" else 40003, 400)
        if request.verb == "POST":
            try:
                parsed = json.loads(body or b"{}")
            except ValueError:
                raise FakeApiError(40001, 400) from None
            if not isinstance(parsed, dict) or parsed.get("method") != request.method:
                raise FakeApiError(40001, 400)
            request.body = parsed

    def _take_token(self, spec: MethodSpec, owner: str) -> bool:
        if not self.enforce_rate_limits:
            return True
        with self._lock:
            key = (spec.name, owner)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(*spec.limit)
            return bucket.take()

    def _pick_fault(self, request: FakeRequest) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(request):
                    fault.hits += 1
                    return fault
        return None

    def _apply_fault(self, fault: Fault, request: FakeRequest) -> tuple[_Reply, int | None] | None:
        if fault.kind == "slow":
            time.sleep(fault.delay_s)
            return None
        if fault.kind == "rate_limit":
            raise FakeApiError(42901, 429)
        if fault.kind in ("server_error", "error_code"):
            raise FakeApiError(fault.code or 50001, fault.status or 500)
        if fault.kind == "html_error":
            html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            return _Reply(fault.status or 502, html, "text/html"), None
        # malformed: a body cut off mid-way, as a dropped connection behind a proxy produces
        return _Reply(
            200,
            b'{"id": -1, "method": "' + request.method.encode() + b'", "code": 0, "result": {"da',
        ), None

    def _envelope(
        self,
        method: str,
        code: int,
        result: Any,
        status: int,
        message: str = "",
        request: FakeRequest | None = None,
    ) -> _Reply:
        request_id = (request.body or {}).get("id", -1) if request is not None else -1
        body: dict[str, Any] = {
            "id": request_id if isinstance(request_id, int) else -1,
            "method": method,
            "code": str(code) if self.codes_as_strings else code,
        }
        if code != 0:
            body["message"] = message
        if result is not None:
            body["result"] = result
        return _Reply(status, json.dumps(body).encode())


def _bucket_owner(request: FakeRequest) -> str:
    """Private limits are per API key (spec §11); public ones per IP."""
    api_key = (request.body or {}).get("api_key")
    return f"key:{api_key}" if isinstance(api_key, str) else request.client_ip


class _Server(ThreadingHTTPServer):
    # The listen backlog is set in the constructor: the default of 5 drops SYNs under a burst
    # of parallel connections, which the kernel retries only after a full second.
    request_queue_size = 256
    daemon_threads = True


def _drop_field(result: Any, field_name: str | None) -> Any:
    if isinstance(result, dict) and isinstance(result.get("data"), list) and result["data"]:
        first = dict(result["data"][0])
        first.pop(field_name or next(iter(first)), None)
        result = {**result, "data": [first, *result["data"][1:]]}
    return result


def _make_handler(exchange: FakeExchange) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle on, each reply waits ~40 ms for the
        # client's delayed ACK on a kept-alive connection.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, verb: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = exchange.handle(
                verb, self.path, body, self.client_address[0], dict(self.headers)
            )
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

    return Handler


__all__ = ["PUBLIC_LIMIT", "FakeApiError", "FakeExchange", "FakeRequest", "Fault", "MethodSpec"]
