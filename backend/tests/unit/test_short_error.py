"""`short_error`: one line that says what failed, never SQL, parameters or credentials."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from atp.core.errors import clean_error_text, short_error


def test_sqlalchemy_error_keeps_class_and_first_line_only() -> None:
    exc = OperationalError(
        "UPDATE signal_throttle_state SET last_price=%(p)s WHERE id=%(id)s",
        {"p": "64123.5", "id": 7},
        Exception("server closed the connection unexpectedly"),
    )
    assert "[SQL:" in str(exc) and "64123.5" in str(exc)  # what SQLAlchemy itself says
    assert short_error(exc) == (
        "OperationalError: (builtins.Exception) server closed the connection unexpectedly"
    )


def test_credentials_and_bot_tokens_are_redacted() -> None:
    url_error = RuntimeError("could not connect to postgresql://atp:hunter2@db.internal:5432/atp")
    assert short_error(url_error) == (
        "RuntimeError: could not connect to postgresql://atp:***@db.internal:5432/atp"
    )
    bot = ValueError(
        "POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage"
    )
    assert "AAHdqTcv" not in short_error(bot)
    assert "/bot***/sendMessage" in short_error(bot)


def test_empty_and_long_messages() -> None:
    assert short_error(KeyError()) == "KeyError"
    assert len(short_error(ValueError("x" * 5000))) <= 300
    assert clean_error_text(None) is None
    assert clean_error_text("a\n[SQL: SELECT 1]") == "a"
    assert clean_error_text("prefix [SQL: SELECT secret] tail") == "prefix"
