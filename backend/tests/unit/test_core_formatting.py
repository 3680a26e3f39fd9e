"""Exchange number formatting (contract section 12) and trigger sides (section 9.3)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atp.core import formatting as fmt

PLAIN = re.compile(r"^[0-9]+(\.[0-9]+)?$")

# Tick shapes seen on exchanges: 10^-k, and k * 10^-m such as 0.5, 0.25, 0.0001, 5, 25.
ticks = st.builds(
    lambda mantissa, exponent: Decimal(mantissa).scaleb(exponent),
    st.sampled_from([1, 2, 5, 25]),
    st.integers(min_value=-10, max_value=2),
)
values = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("10000000"), places=10)
roundings = st.sampled_from(["down", "up"])


def _decimals_in(text: str) -> int:
    return len(text.partition(".")[2])


@given(value=values, tick=ticks, rounding=roundings)
def test_price_lands_on_the_tick_in_the_asked_direction(
    value: Decimal, tick: Decimal, rounding: fmt.Rounding
) -> None:
    try:
        rounded = fmt.round_price(value, tick, rounding)
    except ValueError:
        assert rounding == "down" and value < tick  # only a result below one tick is refused
        return
    text = fmt.format_price(value, tick, rounding)
    assert PLAIN.match(text), text
    assert Decimal(text) == rounded
    assert rounded % tick == 0
    assert _decimals_in(text) == fmt.tick_decimals(tick)
    assert abs(rounded - value) < tick
    assert rounded <= value if rounding == "down" else rounded >= value
    assert fmt.round_price(rounded, tick, rounding) == rounded  # idempotent on the tick
    assert fmt.format_price(rounded, tick, rounding) == text


@given(value=values, step=ticks)
def test_quantity_always_floors_and_respects_the_minimum(value: Decimal, step: Decimal) -> None:
    if value < step:
        with pytest.raises(ValueError, match="below one step"):
            fmt.format_quantity(value, step)
        return
    text = fmt.format_quantity(value, step)
    assert PLAIN.match(text), text
    assert step <= Decimal(text) <= value < Decimal(text) + step
    assert Decimal(text) % step == 0


def test_worked_example_of_section_12_2() -> None:
    price_tick, qty_tick = Decimal("0.01"), Decimal("0.0001")
    tp = fmt.format_price(Decimal("2984.4086"), price_tick, fmt.take_profit_rounding("SELL"))
    stop = fmt.format_price(Decimal("2659.374"), price_tick, fmt.stop_trigger_rounding("SELL"))
    limit = fmt.format_price(Decimal("2500.1049"), price_tick, fmt.limit_price_rounding("BUY"))
    assert (tp, stop, limit) == ("2984.41", "2659.37", "2500.10")
    assert fmt.format_quantity(Decimal("0.003399"), qty_tick) == "0.0033"


def test_rounding_intents_per_order_kind() -> None:
    assert (fmt.limit_price_rounding("BUY"), fmt.limit_price_rounding("SELL")) == ("down", "up")
    assert (fmt.stop_trigger_rounding("SELL"), fmt.stop_trigger_rounding("BUY")) == ("down", "up")
    assert (fmt.take_profit_rounding("SELL"), fmt.take_profit_rounding("BUY")) == ("up", "down")
    assert fmt.notional_rounding() == "down"
    with pytest.raises(ValueError, match="BUY or SELL"):
        fmt.limit_price_rounding("buy")


@pytest.mark.parametrize(
    ("value", "tick", "expected"),
    [
        (Decimal("0.00000001"), Decimal("1E-8"), "0.00000001"),
        (Decimal("1E-8"), Decimal("0.00000001"), "0.00000001"),
        (Decimal("123456789012345678901234567890.123456789"), Decimal("1E-8"),
         "123456789012345678901234567890.12345678"),
        (Decimal("1E+3"), Decimal("5"), "1000"),
        (Decimal("7.3"), Decimal("0.50"), "7.0"),  # trailing zeros of the tick do not count
        (Decimal("2500.1"), Decimal("0.01"), "2500.10"),
    ],
)  # fmt: skip
def test_never_an_exponent_and_never_rounded_by_the_decimal_context(
    value: Decimal, tick: Decimal, expected: str
) -> None:
    assert fmt.format_quantity(value, tick) == expected


@pytest.mark.parametrize("bad", [0.1, 1, True, "0.1", None])
def test_anything_but_a_decimal_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        fmt.format_price(bad, Decimal("0.01"), "down")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fmt.format_price(Decimal("1"), bad, "down")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fmt.format_quantity(Decimal("1"), bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        fmt.format_price(Decimal(bad), Decimal("0.01"), "up")
    with pytest.raises(ValueError, match="finite"):
        fmt.format_quantity(Decimal("1"), Decimal(bad))


def test_bad_ticks_values_and_roundings_are_refused() -> None:
    for tick in (Decimal("0"), Decimal("-0.01")):
        with pytest.raises(ValueError, match="positive"):
            fmt.format_price(Decimal("1"), tick, "down")
    with pytest.raises(ValueError, match="below one tick"):
        fmt.format_price(Decimal("-5"), Decimal("0.01"), "up")
    with pytest.raises(ValueError, match="rounding"):
        fmt.format_price(Decimal("1"), Decimal("0.01"), "nearest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a multiple"):
        fmt.to_text(Decimal("1.005"), Decimal("0.01"))
    with pytest.raises(ValueError, match="positive"):
        fmt.to_text(Decimal("0"), Decimal("0.01"))


def test_protection_quantity_floors_the_smaller_of_fill_and_wallet() -> None:
    step = Decimal("0.0001")
    assert fmt.protection_quantity(Decimal("0.0150"), Decimal("0.014985"), step) == Decimal(
        "0.0149"
    )
    assert fmt.protection_quantity(Decimal("0.0150"), Decimal("1"), step) == Decimal("0.0150")
    with pytest.raises(ValueError, match="below one step"):  # never inflated up to the minimum
        fmt.protection_quantity(Decimal("0.0150"), Decimal("0.00009"), step)


# (kind, closing side, position the trigger must take relative to the reference price)
TRIGGER_TABLE = [
    ("STOP_LOSS", "SELL", "below"),
    ("STOP_LIMIT", "SELL", "below"),
    ("STOP_LOSS", "BUY", "above"),
    ("STOP_LIMIT", "BUY", "above"),
    ("TAKE_PROFIT", "SELL", "above"),
    ("TAKE_PROFIT_LIMIT", "SELL", "above"),
    ("TAKE_PROFIT", "BUY", "below"),
    ("TAKE_PROFIT_LIMIT", "BUY", "below"),
]


@pytest.mark.parametrize(("kind", "side", "position"), TRIGGER_TABLE)
def test_trigger_side_table_both_ways(kind: str, side: str, position: str) -> None:
    reference = Decimal("2000")
    good, bad = (Decimal("1990"), Decimal("2010"))
    if position == "above":
        good, bad = bad, good
    assert fmt.trigger_position(kind, side) == position
    fmt.check_trigger_side(kind, side, good, reference)
    with pytest.raises(fmt.TriggerSideError, match=position):
        fmt.check_trigger_side(kind, side, bad, reference)
    with pytest.raises(fmt.TriggerSideError):  # on the reference itself is never valid
        fmt.check_trigger_side(kind, side, reference, reference, buffer_pct=Decimal("0"))


def test_trigger_buffer_is_a_percentage_of_the_reference() -> None:
    reference = Decimal("2000")  # 0.1 % = 2
    fmt.check_trigger_side("STOP_LOSS", "SELL", Decimal("1998"), reference)
    with pytest.raises(fmt.TriggerSideError):
        fmt.check_trigger_side("STOP_LOSS", "SELL", Decimal("1998.01"), reference)
    fmt.check_trigger_side("STOP_LOSS", "SELL", Decimal("1998.01"), reference, Decimal("0"))
    fmt.check_trigger_side("TAKE_PROFIT", "BUY", Decimal("1900"), reference, Decimal("5"))
    with pytest.raises(fmt.TriggerSideError):
        fmt.check_trigger_side("TAKE_PROFIT", "BUY", Decimal("1901"), reference, Decimal("5"))
    assert issubclass(fmt.TriggerSideError, ValueError)
    with pytest.raises(ValueError, match="kind"):
        fmt.check_trigger_side("LIMIT", "SELL", Decimal("1"), reference)
    with pytest.raises(TypeError):
        fmt.check_trigger_side("STOP_LOSS", "SELL", 1990.0, reference)  # type: ignore[arg-type]
