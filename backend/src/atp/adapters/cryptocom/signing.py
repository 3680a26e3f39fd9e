"""HMAC-SHA256 request signature of Crypto.com Exchange v1 private calls (spec §4).

payload = method + str(id) + api_key + P + str(nonce), where P renders `params` with keys sorted
by code point, each key followed by its value and no separators: strings verbatim, objects
recursively, arrays element by element (no indices), booleans `true`/`false`, null `null`,
integers as digits. Floats (and Decimals) are refused: the server renders doubles its own way,
so a number would sign differently from what it receives (40101); decimals travel as strings.

Depth (§4.2): the exchange's reference verifiers stop recursing at level 3 and fall back to a
language-native rendering that will not match. Counting a level for every array and object
(top-level params = 0), a container at level 3 or deeper is refused here, which still allows
every documented payload: object -> array -> object of scalars (`order_list` legs) and
top-level arrays of scalars (`exec_inst`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

MAX_CONTAINER_LEVEL = 2  # the deepest level at which an array or object may still appear


def sign(
    method: str, request_id: int, api_key: str, params: dict[str, Any], nonce: int, secret: str
) -> str:
    """Lower-case hex HMAC-SHA256 of the §4.1 payload, keyed with `secret` (UTF-8)."""
    _check_integer(request_id, "id")
    _check_integer(nonce, "nonce")
    payload = f"{method}{request_id}{api_key}{param_string(params)}{nonce}"
    digest = hmac.new(secret.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()


def param_string(params: Mapping[str, Any] | None) -> str:
    """The parameter string P; empty params sign as "" (not "{}", R-SIG-3)."""
    if not params:
        return ""
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be an object, not {type(params).__name__}")
    return _render_object(params, level=0, path="params")


def _render_object(obj: Mapping[str, Any], *, level: int, path: str) -> str:
    parts: list[str] = []
    for key in sorted(obj):
        if not isinstance(key, str):
            raise TypeError(f"{path} has a non-string key {key!r}")
        parts.append(key)
        parts.append(_render_value(obj[key], level=level + 1, path=f"{path}.{key}"))
    return "".join(parts)


def _render_value(value: Any, *, level: int, path: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (Mapping, list, tuple)):
        if level > MAX_CONTAINER_LEVEL:
            raise ValueError(
                f"{path} nests too deep to sign reliably (spec §4.2): keep params to "
                "object -> array -> object of scalars"
            )
        if isinstance(value, Mapping):
            return _render_object(value, level=level, path=path)
        return "".join(
            _render_value(item, level=level + 1, path=f"{path}[{index}]")
            for index, item in enumerate(value)
        )
    raise TypeError(
        f"{path} is a {type(value).__name__}; send decimals as strings "
        "(only str, int, bool, None, lists and objects can be signed)"
    )


def _check_integer(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}")
