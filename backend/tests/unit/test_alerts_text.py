"""Telegram's 4096 limit (trimmed on purpose), plain-text fallback, escaping."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from atp.alerts.text import TRIM_MARKER, escape, fit_telegram_limit, telegram_length, to_plain_text
from tests.fakes.telegram_rules import parse_html


def test_exactly_4096_is_kept_and_4097_is_trimmed_at_a_line() -> None:
    exact = "a" * 4096
    assert fit_telegram_limit(exact) == (exact, False)
    lines = "\n".join(f"<b>line {i}</b> " + "x" * 50 for i in range(100))
    fitted, trimmed = fit_telegram_limit(lines)
    assert trimmed and telegram_length(parse_html(fitted)) <= 4096 and fitted.endswith(TRIM_MARKER)
    assert parse_html(fitted)  # tags stay balanced: no "can't parse entities"


def test_utf16_counting_leaves_room_for_emoji() -> None:
    text = "🚨" * 2049  # 4098 UTF-16 code units although only 2049 characters
    assert telegram_length(text) == 4098
    fitted, trimmed = fit_telegram_limit(text)
    assert trimmed and telegram_length(fitted) <= 4096


def test_one_giant_html_line_is_cut_as_escaped_plain_text() -> None:
    fitted, trimmed = fit_telegram_limit("<b>" + "&amp;" * 5000 + "</b>")
    assert trimmed
    visible = parse_html(fitted)
    assert telegram_length(visible) <= 4096 and visible.startswith("&&&")


def test_plain_text_conversion() -> None:
    assert to_plain_text("<b>BUY</b> A&amp;B &lt;x&gt;") == "BUY A&B <x>"
    assert escape("<script>&") == "&lt;script&gt;&amp;"


@given(st.text(max_size=6000))
def test_any_text_escaped_and_fitted_is_valid_and_within_the_limit(raw: str) -> None:
    fitted, _ = fit_telegram_limit(f"<b>{escape(raw)}</b>")
    assert telegram_length(parse_html(fitted)) <= 4096


def test_a_tag_spanning_lines_is_closed_after_the_cut() -> None:
    fitted, trimmed = fit_telegram_limit("<b><i>" + "x\n" * 3000 + "</i></b>")
    assert trimmed
    assert telegram_length(parse_html(fitted)) <= 4096


@given(st.lists(st.text(max_size=300), min_size=10, max_size=40))
def test_multiline_escaped_text_in_tags_stays_parseable(parts: list[str]) -> None:
    body = "\n".join(f"<code>{escape(p)}</code>" for p in parts) * 3
    fitted, _ = fit_telegram_limit(f"<b>{body}</b>")
    assert telegram_length(parse_html(fitted)) <= 4096
