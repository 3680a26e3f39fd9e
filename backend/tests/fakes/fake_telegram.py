"""A fake Telegram Bot API: a real HTTP server on 127.0.0.1 that PTB talks to unchanged.

Use it as a context manager; point PTB at `fake.api_base_url` (+ "/bot" for `base_url`).

Implements getMe, sendMessage, editMessageText, answerCallbackQuery, getUpdates (long poll; a
newer poller terminates an older waiting one with 409), deleteWebhook, setMyCommands and
getMyCommands. Strict like the real API: 401 for a wrong token, 404 for an unknown method,
HTML parse errors ("can't parse entities"), 4096 characters after parsing.

Test hooks: `calls` (every request with its monotonic receipt time), `delivered` (accepted
messages per chat), `fail_next`, `slow_next`, `set_chaos` (random 429/5xx/timeouts),
`push_text`, `push_callback`, `redeliver`, `wait_for`, `sends()` for `telegram_rules.pacing_violations`.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from tests.fakes.fake_telegram_http import error_body, handler_for
from tests.fakes.telegram_rules import EntityParseError, SendRecord, parse_html, telegram_length

Json = dict[str, Any]
MAX_TEXT = 4096


@dataclass
class Call:
    method: str
    params: Json
    t: float  # time.monotonic() when the request was received
    status: int = 0  # HTTP status answered (0 while in progress)

    @property
    def chat_id(self) -> str | None:
        value = self.params.get("chat_id")
        return None if value is None else str(value)


@dataclass
class Fault:
    status: int = 0  # 0 = answer normally (after `delay`)
    description: str = ""
    parameters: Json | None = None
    delay: float = 0.0
    deliver: bool = False  # slow faults: also accept the message (an ambiguous timeout)


@dataclass
class Chaos:
    rate: float
    retry_after: int = 1
    slow_delay: float = 0.5
    kinds: tuple[str, ...] = ("429", "5xx", "timeout")
    rng: random.Random = field(default_factory=lambda: random.Random(7))


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-TOKEN", username: str = "atp_test_bot") -> None:
        self.token = token
        self.username = username
        self.calls: list[Call] = []
        self.delivered: dict[str, list[Json]] = {}
        self.commands: list[Json] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._chaos: dict[str, Chaos] = {}
        self._updates: list[Json] = []
        self._pushed: dict[int, Json] = {}  # every update ever pushed, for `redeliver`
        self._redelivered: list[Json] = []
        self._next_update_id = 1
        self._next_message_id: dict[str, int] = {}
        self._poll_generation = 0
        self._closing = False
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> FakeTelegram:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    @property
    def api_base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- test hooks -----------------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        parameters: Json | None = None,
        count: int = 1,
    ) -> None:
        with self._cond:
            for _ in range(count):
                self._faults.setdefault(method, deque()).append(
                    Fault(status, description, parameters)
                )

    def slow_next(
        self, method: str, delay: float, *, deliver: bool = False, count: int = 1
    ) -> None:
        """Answer late. Without `deliver`, the message is dropped (504) after the delay."""
        status = 0 if deliver else 504
        with self._cond:
            for _ in range(count):
                self._faults.setdefault(method, deque()).append(
                    Fault(status, "Gateway Timeout", None, delay, deliver)
                )

    def set_chaos(self, method: str, chaos: Chaos | None) -> None:
        with self._cond:
            if chaos is None:
                self._chaos.pop(method, None)
            else:
                self._chaos[method] = chaos

    def push_text(self, chat_id: int, text: str, user_id: int | None = None) -> int:
        message: Json = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._push({"message": self._incoming(chat_id, user_id, message)})

    def push_callback(
        self, chat_id: int, message_id: int, data: str, user_id: int | None = None
    ) -> int:
        user = self._user(user_id or chat_id)
        message = self._incoming(chat_id, user_id, {"text": "menu"})
        message["message_id"] = message_id
        message["from"] = self._bot_user()
        query = {
            "id": f"cb{self._next_update_id}",
            "from": user,
            "chat_instance": "1",
            "message": message,
            "data": data,
        }
        return self._push({"callback_query": query})

    def redeliver(self, update_id: int) -> None:
        """Deliver an already pushed update once more, whatever the poller's offset (like a
        confirmation Telegram never received, or a second poller that got it too)."""
        with self._cond:
            self._redelivered.append(dict(self._pushed[update_id]))
            self._cond.notify_all()

    @property
    def poll_generation(self) -> int:
        """How many getUpdates calls have started (a newer one terminates older ones)."""
        with self._cond:
            return self._poll_generation

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until `count` completed calls of `method` (use via asyncio.to_thread)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                done = [c for c in self.calls if c.method == method and c.status]
                if len(done) >= count:
                    return done
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(done)}/{count} {method} calls after {timeout}s")
                self._cond.wait(remaining)

    def calls_of(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def sends(self) -> list[SendRecord]:
        """Every sendMessage request received (accepted or not), for pacing checks."""
        return [SendRecord(str(c.chat_id), c.t) for c in self.calls_of("sendMessage")]

    def texts(self, chat_id: str | int) -> list[str]:
        with self._cond:
            return [m["text"] for m in self.delivered.get(str(chat_id), [])]

    # --- request handling (server threads) ------------------------------------------------------
    def handle(self, method: str, params: Json) -> tuple[int, Json]:
        call = Call(method, params, time.monotonic())
        with self._cond:
            self.calls.append(call)
            fault = self._pick_fault(method)
        status, body = self._answer(method, params, fault)
        with self._cond:
            call.status = status
            self._cond.notify_all()
        return status, body

    def _answer(self, method: str, params: Json, fault: Fault | None) -> tuple[int, Json]:
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status:
                return error_body(fault.status, fault.description, fault.parameters)
        route = _ROUTES.get(method)
        if route is None:
            return error_body(404, "Not Found: method not found")
        try:
            return 200, {"ok": True, "result": route(self, params)}
        except ApiError as exc:
            return error_body(exc.status, exc.description)

    def _pick_fault(self, method: str) -> Fault | None:
        queued = self._faults.get(method)
        if queued:
            return queued.popleft()
        chaos = self._chaos.get(method)
        if chaos is None or chaos.rng.random() >= chaos.rate:
            return None
        kind = chaos.rng.choice(chaos.kinds)
        if kind == "429":
            return Fault(
                429,
                f"Too Many Requests: retry after {chaos.retry_after}",
                {"retry_after": chaos.retry_after},
            )
        if kind == "5xx":
            return Fault(chaos.rng.choice([500, 502]), "Internal Server Error")
        return Fault(504, "Gateway Timeout", None, chaos.slow_delay)

    # --- methods -----------------------------------------------------------------------------------
    def get_me(self, _params: Json) -> Json:
        return self._bot_user() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def send_message(self, params: Json) -> Json:
        chat_id = _required(params, "chat_id")
        text = self._visible_text(params)
        with self._cond:
            message_id = self._next_message_id.get(chat_id, 0) + 1
            self._next_message_id[chat_id] = message_id
            record = {
                "message_id": message_id,
                "chat_id": chat_id,
                "text": text,
                "raw": params.get("text"),
                "parse_mode": params.get("parse_mode"),
                "t": time.monotonic(),
                "reply_markup": params.get("reply_markup"),
            }
            self.delivered.setdefault(chat_id, []).append(record)
        return self._message(chat_id, message_id, text)

    def edit_message_text(self, params: Json) -> Json:
        chat_id = _required(params, "chat_id")
        message_id = int(_required(params, "message_id"))
        text = self._visible_text(params)
        with self._cond:
            found = [m for m in self.delivered.get(chat_id, []) if m["message_id"] == message_id]
            if not found:
                raise ApiError(400, "Bad Request: message to edit not found")
            if found[0]["text"] == text and found[0].get("reply_markup") == params.get(
                "reply_markup"
            ):
                raise ApiError(400, "Bad Request: message is not modified")
            found[0].update(text=text, reply_markup=params.get("reply_markup"))
        return self._message(chat_id, message_id, text)

    def answer_callback_query(self, params: Json) -> bool:
        _required(params, "callback_query_id")
        if len(str(params.get("text", ""))) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def set_my_commands(self, params: Json) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100 items")
        for item in commands:
            if not (
                1 <= len(item.get("command", "")) <= 32
                and 1 <= len(item.get("description", "")) <= 256
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        with self._cond:
            self.commands = commands
        return True

    def get_my_commands(self, _params: Json) -> list[Json]:
        with self._cond:
            return list(self.commands)

    def delete_webhook(self, _params: Json) -> bool:
        return True

    def get_updates(self, params: Json) -> list[Json]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self._cond:
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()  # an older waiting poller sees the new generation -> 409
            while True:
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                # Only the newest poll takes a redelivery: an abandoned long poll (its client
                # gone) must not swallow it.
                if self._redelivered and generation == self._poll_generation:
                    again, self._redelivered = self._redelivered, []
                    return again[:limit]
                if self._updates or self._closing:
                    return self._updates[:limit]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._cond.wait(remaining)
                if self._poll_generation != generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )

    # --- helpers -----------------------------------------------------------------------------------
    def _visible_text(self, params: Json) -> str:
        text = str(params.get("text") or "")
        if params.get("parse_mode") in ("HTML", "html"):
            try:
                text = parse_html(text)
            except EntityParseError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if telegram_length(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    def _bot_user(self) -> Json:
        return {
            "id": int(self.token.split(":")[0]),
            "is_bot": True,
            "first_name": "ATP test",
            "username": self.username,
        }

    def _message(self, chat_id: str, message_id: int, text: str) -> Json:
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _chat(chat_id),
            "from": self._bot_user(),
            "text": text,
        }

    def _user(self, user_id: int) -> Json:
        return {"id": user_id, "is_bot": False, "first_name": "Operator"}

    def _incoming(self, chat_id: int, user_id: int | None, fields: Json) -> Json:
        with self._cond:
            message_id = self._next_message_id.get(str(chat_id), 0) + 1
            self._next_message_id[str(chat_id)] = message_id
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _chat(str(chat_id)),
            "from": self._user(user_id or chat_id),
        } | fields

    def _push(self, update: Json) -> int:
        with self._cond:
            update_id = self._next_update_id
            self._next_update_id += 1
            self._updates.append({"update_id": update_id} | update)
            self._pushed[update_id] = self._updates[-1]
            self._cond.notify_all()
        return update_id


class ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


_ROUTES = {
    "getMe": FakeTelegram.get_me,
    "sendMessage": FakeTelegram.send_message,
    "editMessageText": FakeTelegram.edit_message_text,
    "answerCallbackQuery": FakeTelegram.answer_callback_query,
    "setMyCommands": FakeTelegram.set_my_commands,
    "getMyCommands": FakeTelegram.get_my_commands,
    "deleteWebhook": FakeTelegram.delete_webhook,
    "getUpdates": FakeTelegram.get_updates,
}


def _required(params: Json, name: str) -> str:
    value = params.get(name)
    if value in (None, ""):
        raise ApiError(400, f"Bad Request: {name} is empty")
    return str(value)


def _chat(chat_id: str) -> Json:
    if chat_id.lstrip("-").isdigit():
        numeric = int(chat_id)
        return {"id": numeric, "type": "private" if numeric > 0 else "supergroup", "title": "chat"}
    return {"id": -(abs(hash(chat_id)) % 10**12), "type": "channel", "title": chat_id}
