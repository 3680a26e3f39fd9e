"""The bot's authorization policy (pure): who may command, what output-only chats accept."""

from __future__ import annotations

from atp.bot.auth import AuthPolicy, Verdict
from atp.settings import Settings


def _policy(**values: str) -> AuthPolicy:
    base = {"telegram_chat_id": "111", "database_url": "sqlite:///:memory:"}
    return AuthPolicy.from_settings(Settings(_env_file=None, **(base | values)))  # type: ignore[call-arg]


def test_the_operator_chat_is_allowed_by_default_and_strangers_are_refused() -> None:
    policy = _policy()
    assert policy.decide(111, "private", 111, button=False) is Verdict.ALLOWED
    assert policy.decide(222, "private", 222, button=False) is Verdict.REFUSED
    assert policy.decide(222, "private", 222, button=True) is Verdict.REFUSED


def test_allowed_users_command_from_their_private_chat_only() -> None:
    policy = _policy(telegram_allowed_user_ids="7, 8")
    assert policy.decide(7, "private", 7, button=False) is Verdict.ALLOWED
    # an allowed user in a group that is not allowed: refused (the group would see the replies)
    assert policy.decide(-100, "supergroup", 7, button=False) is Verdict.REFUSED


def test_an_allowed_group_needs_an_allowed_user_when_users_are_listed() -> None:
    open_group = _policy(telegram_allowed_chat_ids="-100")
    assert open_group.decide(-100, "supergroup", 5, button=False) is Verdict.ALLOWED
    guarded = _policy(telegram_allowed_chat_ids="-100", telegram_allowed_user_ids="7")
    assert guarded.decide(-100, "supergroup", 7, button=False) is Verdict.ALLOWED
    assert guarded.decide(-100, "supergroup", 5, button=False) is Verdict.REFUSED


def test_output_only_chats_take_no_commands_but_accept_buttons_from_allowed_users() -> None:
    policy = _policy(
        telegram_chat_id="-200",
        telegram_output_only_chat_ids="-200",
        telegram_allowed_user_ids="7",
    )
    assert policy.decide(-200, "supergroup", 7, button=False) is Verdict.IGNORED
    assert policy.decide(-200, "supergroup", 7, button=True) is Verdict.ALLOWED
    assert policy.decide(-200, "supergroup", 5, button=True) is Verdict.REFUSED
    assert -200 not in policy.chats  # TELEGRAM_CHAT_ID is output-only here, not a command chat


def test_id_lists_are_validated() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="numeric Telegram ids"):
        _policy(telegram_allowed_user_ids="7,@someone")
