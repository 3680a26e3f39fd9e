"""Average-cost position arithmetic (atp.core.pnl): examples and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atp.core.pnl import SCALE, PositionState, apply_fill, start_round_trip, unrealised

D = Decimal
FLAT = PositionState()


def _fills(*fills: tuple[str, str, str, str]) -> tuple[PositionState, list[Decimal]]:
    state, deltas = FLAT, []
    for side, qty, price, fee in fills:
        state, delta = apply_fill(state, side, D(qty), D(price), D(fee))
        deltas.append(delta)
    return state, deltas


def test_adding_to_a_long_moves_the_average_and_realises_only_fees() -> None:
    state, deltas = _fills(("BUY", "1", "100", "0.1"), ("BUY", "3", "120", "0.3"))
    assert state.quantity == 4 and state.avg_entry == D("115")
    assert deltas == [D("-0.1"), D("-0.3")]
    assert state.fees_paid == D("0.4") and state.realised_pnl == D("-0.4")


def test_reducing_a_long_realises_on_the_sold_part_and_keeps_the_average() -> None:
    state, deltas = _fills(("BUY", "2", "100", "0"), ("SELL", "0.5", "110", "0.05"))
    assert deltas[-1] == D("4.95")  # (110 - 100) x 0.5 - 0.05
    assert (state.quantity, state.avg_entry, state.direction) == (D("1.5"), D("100"), "LONG")


def test_closing_resets_the_average() -> None:
    state, deltas = _fills(("BUY", "2", "100", "0"), ("SELL", "2", "90", "0.2"))
    assert deltas[-1] == D("-20.2")
    assert state.is_flat and state.avg_entry == 0 and state.realised_pnl == D("-20.2")


def test_a_fill_through_zero_closes_and_opens_the_rest_at_its_price() -> None:
    state, deltas = _fills(("BUY", "1", "100", "0"), ("SELL", "3", "120", "0.6"))
    assert deltas[-1] == D("19.4")  # only the long unit is realised: 20 - the whole fee
    assert (state.quantity, state.avg_entry, state.direction) == (D("-2"), D("120"), "SHORT")
    back, delta = apply_fill(state, "BUY", D("3"), D("110"), D("0"))
    assert delta == D("20") and (back.quantity, back.avg_entry) == (D("1"), D("110"))


def test_a_short_gains_when_the_price_falls() -> None:
    state, _ = _fills(("SELL", "2", "100", "0"), ("SELL", "2", "110", "0"))
    assert state.avg_entry == D("105")
    assert unrealised(state, D("100")) == D("20")  # (105 - 100) x 4
    state, delta = apply_fill(state, "BUY", D("1"), D("95"), D("0"))
    assert delta == D("10") and state.quantity == D("-3")


def test_unrealised_of_a_long_and_of_flat() -> None:
    state, _ = _fills(("BUY", "0.5", "60000", "0"))
    assert unrealised(state, D("61000")) == D("500")
    assert unrealised(state, D("59000")) == D("-500")
    assert unrealised(FLAT, D("59000")) == 0


def test_the_average_is_kept_at_the_storage_scale() -> None:
    state, _ = _fills(("BUY", "1", "1", "0"), ("BUY", "2", "2", "0"))
    assert state.avg_entry == D("1.666666666666666667")  # 5/3, half-even at 18 decimals
    assert state.avg_entry.as_tuple().exponent == SCALE.as_tuple().exponent


def test_a_new_round_trip_resets_fees_and_realised_but_keeps_dust() -> None:
    state = PositionState(D("0.00001"), D("100"), D("1"), D("-5"))
    assert start_round_trip(state) == PositionState(D("0.00001"), D("100"), D(0), D(0))


def test_a_rebate_is_a_negative_fee() -> None:
    _, deltas = _fills(("BUY", "1", "100", "-0.01"))
    assert deltas == [D("0.01")]


@pytest.mark.parametrize(
    ("side", "qty", "price", "fee", "error"),
    [
        ("BUY", 1.0, D("1"), D("0"), TypeError),
        ("BUY", D("1"), 100, D("0"), TypeError),
        ("BUY", D("1"), D("1"), 0.1, TypeError),
        ("HOLD", D("1"), D("1"), D("0"), ValueError),
        ("buy", D("1"), D("1"), D("0"), ValueError),
        ("BUY", D("0"), D("1"), D("0"), ValueError),
        ("SELL", D("-1"), D("1"), D("0"), ValueError),
        ("BUY", D("1"), D("0"), D("0"), ValueError),
        ("BUY", D("1"), D("1"), D("NaN"), ValueError),
        ("BUY", D("Infinity"), D("1"), D("0"), ValueError),
    ],
)
def test_bad_input_is_refused(
    side: str, qty: object, price: object, fee: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        apply_fill(FLAT, side, qty, price, fee)  # type: ignore[arg-type]


def _decimals(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(D(low), D(high), places=places, allow_nan=False, allow_infinity=False)


QTY = _decimals("0.00000001", "1000", 8)
PRICE = _decimals("0.0001", "100000", 4)
FEE = _decimals("0", "10", 8)
FILL = st.tuples(st.sampled_from(["BUY", "SELL"]), QTY, PRICE, FEE)


@given(qty=QTY, price=PRICE, entry_fee=FEE, exit_fee=FEE, side=st.sampled_from(["BUY", "SELL"]))
def test_a_round_trip_at_one_price_realises_exactly_minus_the_fees(
    qty: Decimal, price: Decimal, entry_fee: Decimal, exit_fee: Decimal, side: str
) -> None:
    opened, first = apply_fill(FLAT, side, qty, price, entry_fee)
    closed, second = apply_fill(opened, "SELL" if side == "BUY" else "BUY", qty, price, exit_fee)
    assert closed.is_flat and closed.avg_entry == 0
    assert first + second == closed.realised_pnl == -(entry_fee + exit_fee)
    assert closed.fees_paid == entry_fee + exit_fee


@given(fills=st.lists(FILL, min_size=1, max_size=20), mark=PRICE)
def test_realised_plus_unrealised_matches_the_cash_flows(
    fills: list[tuple[str, Decimal, Decimal, Decimal]], mark: Decimal
) -> None:
    state, cash, held = FLAT, D(0), D(0)
    for side, qty, price, fee in fills:
        state, _ = apply_fill(state, side, qty, price, fee)
        sign = 1 if side == "BUY" else -1
        cash += -sign * qty * price - fee
        held += sign * qty
    assert state.quantity == held
    assert state.fees_paid == sum((fee for *_, fee in fills), D(0))
    # Exact but for the average's rounding at 18 decimals (at most n x 0.5e-18 per unit held).
    drift = state.realised_pnl + unrealised(state, mark) - (cash + held * mark)
    assert abs(drift) <= D("1e-10"), drift
