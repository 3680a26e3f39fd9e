"""The HTTP side of the fake Telegram Bot API: request decoding, the envelope, the handler.

`FakeTelegram` (fake_telegram.py) holds the state and the methods; this module turns HTTP
requests into `fake.handle(method, params)` calls the way the real Bot API accepts them.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from tests.fakes.fake_telegram import FakeTelegram

Json = dict[str, Any]


def error_body(status: int, description: str, parameters: Json | None = None) -> tuple[int, Json]:
    body: Json = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, body


def decode_params(raw: bytes, content_type: str, query: str) -> Json:
    params: Json = {}
    pairs = parse_qsl(query)
    if raw and content_type.startswith("application/json"):
        params.update(json.loads(raw))
    elif raw:
        pairs += parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
    for key, value in pairs:
        try:  # PTB JSON-encodes every non-string parameter
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


def handler_for(fake: FakeTelegram) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body in one segment: avoids the 40 ms Nagle / delayed-ACK stall per call.
        disable_nagle_algorithm = True
        wbufsize = 1 << 16

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            prefix, _, method = url.path.lstrip("/").partition("/")
            if prefix != f"bot{fake.token}":
                status, body = error_body(401, "Unauthorized")
            elif self.headers.get("Content-Type", "").startswith("multipart/"):
                status, body = error_body(400, "Bad Request: the fake does not accept file uploads")
            else:
                params = decode_params(raw, self.headers.get("Content-Type", ""), url.query)
                status, body = fake.handle(method, params)
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout, or updater.stop() cancelled a long poll)

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Handler
