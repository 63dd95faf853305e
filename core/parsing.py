"""Turning an input value (a JSON value from the bulk API, a cell's text from the spreadsheet
import) into a Python value, one parser per type with one set of messages. A bad value raises
``ParseError`` (a ``ValueError`` with a ``code``); the caller says which field it was.

Only the shape of a value is checked here. Its rules (ranges, codes, characters) are the
model's (``core.validators``) and the services' rules, which every door reaches.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

DATE_MESSAGE = "Give the date as YYYY-MM-DD."
DECIMAL_MESSAGE = 'Give a decimal number, e.g. "12.5".'
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+")


class ParseError(ValueError):
    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


def parse_date(value: Any) -> dt.date | None:
    """ISO 8601 dates only (YYYY-MM-DD): "03/04/2025" is 3 April to some readers and 4 March to
    others, so it is refused rather than guessed. None and "" are no date."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ParseError(DATE_MESSAGE, "invalid_date")


def _decimal_comma(text: str) -> str:
    """A spreadsheet's "12,5" (European decimal comma) or "1,234.5" (thousands) as "12.5" or
    "1234.5"; "1,234" and "1.234,5" are refused: a factor of 1,000 would hang on the reader's
    habit, so the file must say which it means."""
    text = text.replace(" ", "")
    if "," in text and "." not in text:
        if _THOUSANDS.fullmatch(text):
            raise ParseError(f"“{text}” is ambiguous; write 1234 or 1.234.", "ambiguous")
        return text.replace(",", ".")
    if "," in text:
        whole, _, _ = text.partition(".")
        if not _THOUSANDS.fullmatch(whole):
            raise ParseError(f"“{text}” is ambiguous; write it as 1234.5.", "ambiguous")
        return text.replace(",", "")
    return text


def parse_decimal(
    value: Any, *, max_digits: int, places: int, positive: bool = True, decimal_comma: bool = False
) -> Decimal | None:
    """A decimal from a number or its text; None and "" are no number. ``positive``: above
    zero, else zero or more. ``decimal_comma``: also read a spreadsheet's separators."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ParseError(DECIMAL_MESSAGE)
    text = str(value).strip()
    if decimal_comma:
        text = _decimal_comma(text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ParseError(DECIMAL_MESSAGE) from None
    if not number.is_finite():  # NaN and Infinity parse, but cannot be compared or stored
        raise ParseError('Give a finite decimal number, e.g. "12.5".')
    if (positive and number <= 0) or number < 0:
        raise ParseError("Give a number above zero." if positive else "Give a number of zero or more.", "min_value")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise ParseError(f"Give at most {places} decimal places.", "max_decimal_places")
    try:
        digits = len(number.quantize(Decimal(1).scaleb(-places)).as_tuple().digits)
    except InvalidOperation:  # more digits than the decimal context holds, so far too many
        digits = max_digits + 1
    if digits > max_digits:
        raise ParseError(f"Give at most {max_digits} digits in total.", "max_digits")
    return number


def parse_choice(value: Any, values: Iterable[str], *, blank: bool = False) -> str:
    """One of ``values`` exactly (or "" when ``blank``)."""
    values = list(values)
    if isinstance(value, str) and (value in values or (blank and value == "")):
        return value
    raise ParseError(f"'{value}' is not one of: {', '.join(values)}.", "invalid_choice")
