"""The effective configuration as an operator may see it: every secret masked.

Keyed by the environment variable an operator sets (e.g. `DATABASE_URL`). A value is shown as
`set` / `unset` instead of itself when the field is a `SecretStr` or its name says it holds a
credential (token, secret, password, key); a URL keeps its shape with the password replaced by
`***`. Masking is decided by the field, never by the value, so a new secret field named like
one is masked without anyone remembering to list it.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pydantic import SecretStr

from atp.settings import Settings

SECRET_NAME = re.compile(r"token|secret|password|passwd|key", re.IGNORECASE)
MASK_SET, MASK_UNSET = "set", "unset"

ConfigValue = str | int | float | bool | None


def is_secret(name: str, value: object) -> bool:
    return isinstance(value, SecretStr) or bool(SECRET_NAME.search(name))


def mask_url(url: str) -> str:
    """The URL with its password (if any) shown as `***`.

    Everything up to the LAST `@` is user info, so a password holding `@`, `/` or `:` is still
    masked whole (a later `@`, e.g. in a query, only masks more than needed, never less).
    """
    scheme, sep, rest = url.partition("://")
    at = rest.rfind("@")
    if not sep or at < 0:
        return url
    user, colon, _password = rest[:at].partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{rest[at + 1 :]}"


def _plain(value: object) -> ConfigValue:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    return mask_url(str(value))


def _shown(name: str, value: object) -> ConfigValue:
    if is_secret(name, value):
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        return MASK_SET if raw not in (None, "") else MASK_UNSET
    return _plain(value)


def effective_settings(settings: Settings) -> dict[str, ConfigValue]:
    """{ENV_NAME: shown value} for every setting (legacy aliases folded in are left out)."""
    shown: dict[str, ConfigValue] = {}
    for name, info in type(settings).model_fields.items():
        if info.exclude:
            continue
        env = info.validation_alias if isinstance(info.validation_alias, str) else name.upper()
        shown[env] = _shown(name, getattr(settings, name))
    shown["EFFECTIVE_DATABASE_URL"] = mask_url(settings.effective_database_url)
    return dict(sorted(shown.items()))
