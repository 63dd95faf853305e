"""The 0.1 % test of Announcement No. 61 at its edges: exact decimals, dated FX rates, mixed
origins, several elements and currencies (docs/exposure.md)."""

import datetime as dt
from decimal import Decimal as Dec
from fractions import Fraction

import pytest

from exposure.threshold import THRESHOLD, Content, FxTable, china_share

D = dt.date
ON = D(2026, 11, 20)
CONTROLLED = {"Dy", "Tb", "Sm", "Ho"}
NO_FX = FxTable()


def share(unit_value, contents, currency="USD", fx=NO_FX, on=ON):
    return china_share(
        unit_value=Dec(unit_value), currency=currency, contents=contents, controlled=CONTROLLED, fx=fx, on=on
    )


def cn(element, value, currency="USD"):
    return Content(element, True, Dec(value), currency)


def test_exactly_0_1_percent_is_at_the_threshold():
    s = share("1000.00", [cn("Dy", "1.00")])
    assert s.share == THRESHOLD
    assert s.at_or_above
    assert s.percent == Dec("0.1000")


def test_just_under_is_not():
    s = share("1000.00", [cn("Dy", "0.999999")])
    assert s.share == Fraction(999999, 10**9)
    assert not s.at_or_above
    # Rounded for display it looks like 0.1000 %, which is why the test compares exactly.
    assert s.percent == Dec("0.1000")


def test_a_float_would_get_this_wrong_and_fractions_do_not():
    # 0.1 + 0.2 kinds of error: three contents of 0.1, 0.2 and 0.7 on a value of 1000 is exactly 0.1 %.
    s = share("1000", [cn("Dy", "0.1"), cn("Tb", "0.2"), cn("Sm", "0.7")])
    assert s.share == THRESHOLD


def test_only_china_origin_content_counts():
    mixed = [cn("Dy", "0.60"), Content("Dy", False, Dec("5.00"), "USD"), cn("Tb", "0.39")]
    assert not share("1000", mixed).at_or_above
    assert share("1000", mixed).china_value == Fraction("0.99")


def test_uncontrolled_elements_do_not_count():
    # Neodymium and praseodymium are not controlled by Announcements No. 18 or No. 57.
    s = share("1000", [cn("Nd", "50"), cn("Pr", "10"), cn("Dy", "0.5")])
    assert s.china_value == Fraction("0.5")
    assert not s.at_or_above


def test_several_elements_add_up_to_the_threshold():
    s = share("2000", [cn("Dy", "0.75"), cn("Tb", "0.75"), cn("Ho", "0.50")])
    assert s.share == THRESHOLD and s.at_or_above


def fx():
    return FxTable.from_rows([
        ("EUR", "USD", D(2026, 1, 1), Dec("1.1000")),
        ("EUR", "USD", D(2026, 11, 15), Dec("1.2500")),
        ("USD", "CNY", D(2026, 1, 1), Dec("7.2000")),
    ])


def test_content_in_another_currency_is_converted_at_the_rate_of_the_day():
    # 1 EUR of content in a USD product: 1.25 USD from 15 Nov, 1.10 USD before.
    assert share("1250", [cn("Dy", "1", "EUR")], fx=fx()).share == THRESHOLD
    before = share("1250", [cn("Dy", "1", "EUR")], fx=fx(), on=D(2026, 11, 14))
    assert before.share == Fraction(11, 12500) and not before.at_or_above


def test_the_inverse_pair_and_a_chain_through_a_third_currency_are_exact():
    # CNY content in a USD product uses the USD->CNY rate inverted: 7.2 CNY = 1 USD.
    assert share("1000", [cn("Dy", "7.2", "CNY")], fx=fx()).share == THRESHOLD
    # CNY content in a EUR product: CNY -> USD -> EUR, 9 CNY = 1.25 USD = 1 EUR.
    s = share("1000", [cn("Dy", "9", "CNY")], currency="EUR", fx=fx())
    assert s.share == THRESHOLD


def test_several_currencies_in_one_product():
    # 0.5 USD + 0.4 EUR (0.5 USD) = 1 USD on 1000 USD.
    s = share("1000", [cn("Dy", "0.5"), cn("Tb", "0.4", "EUR")], fx=fx())
    assert s.share == THRESHOLD


def test_a_missing_rate_is_reported_not_guessed():
    s = share("1000", [cn("Dy", "1", "JPY")], fx=fx())
    assert s.share is None and not s.at_or_above
    assert "JPY" in s.missing
    early = share("1000", [cn("Dy", "1", "EUR")], fx=fx(), on=D(2025, 12, 31))
    assert early.share is None and "2025-12-31" in early.missing


@pytest.mark.parametrize("value", ["0", "0.000"])
def test_no_china_content_is_zero(value):
    assert share("10", [cn("Dy", value)]).share == 0
