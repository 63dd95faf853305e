"""The product's value rules, each once: model fields carry them (so ``save_validated``'s
``full_clean``, model forms and the admin see them) and every other door (API serializers,
bulk upserts, the spreadsheet import) reaches them through the services, so a bad value gets
the same message whichever way it came in.

- Countries are ISO 3166-1 alpha-2 and currencies ISO 4217, checked against ``pycountry``
  (a maintained list, not a hand-typed table). A lower-case or unknown code is refused, never
  silently upper-cased or stored.
- Text refuses control characters: none at all in single-line fields; tab, line feed and
  carriage return only in multi-line text. TextFields get a maximum length here too (Django
  enforces a TextField's ``max_length`` only in forms).
- Every date lies between ``DATE_MIN`` and ``DATE_MAX``: a year typed as 0205 or 2205 is a typo,
  not a plan.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from functools import cache

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

# One range for every date the product stores or a workflow step carries.
DATE_MIN = dt.date(2000, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)

# Maximum lengths of multi-line text (TextFields), in characters.
NOTES_MAX = 10_000
TEXT_MAX = 10_000

_MULTILINE_ALLOWED = frozenset("\t\n\r")


@cache
def _countries() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def _currencies() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def _code(value: object, known: frozenset[str], standard: str, kind: str, example: str) -> None:
    if not isinstance(value, str) or value == "":
        return  # blank: required-ness is the field's business
    if value not in known and value.upper() in known:
        raise ValidationError(
            "'%(value)s' is not an ISO %(standard)s %(kind)s code; use capitals, e.g. %(upper)s.",
            code="lower_case", params={"value": value, "standard": standard, "kind": kind, "upper": value.upper()},
        )
    if value not in known:
        raise ValidationError(
            "'%(value)s' is not an ISO %(standard)s %(kind)s code, e.g. %(example)s.",
            code="unknown_code", params={"value": value, "standard": standard, "kind": kind, "example": example},
        )


def validate_country(value: str) -> None:
    """ISO 3166-1 alpha-2, in capitals (DE, CN, US)."""
    _code(value, _countries(), "3166", "country", "DE")


def validate_countries(value: str) -> None:
    """ISO 3166-1 alpha-2 codes separated by spaces ("US DE JP"), each checked as one country."""
    if isinstance(value, str):
        for code in value.split():
            validate_country(code)


def validate_currency(value: str) -> None:
    """ISO 4217, in capitals (USD, EUR, CNY)."""
    _code(value, _currencies(), "4217", "currency", "USD")


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc"  # C0 (U+0000-U+001F, U+007F) and C1 (U+0080-U+009F)


def _refuse_controls(value: object, allowed: frozenset[str], where: str) -> None:
    if not isinstance(value, str):
        return
    for ch in value:
        if _is_control(ch) and ch not in allowed:
            raise ValidationError(
                "Control characters are not allowed %(where)s (found U+%(cp)04X).",
                code="control_character", params={"where": where, "cp": ord(ch)},
            )


def validate_single_line(value: str) -> None:
    """No control characters at all (no tab or line break either)."""
    _refuse_controls(value, frozenset(), "in a single-line field")


def validate_multiline(value: str) -> None:
    """No control characters but tab, line feed and carriage return."""
    _refuse_controls(value, _MULTILINE_ALLOWED, "in text (tab and line breaks are)")


def validate_date_range(value: dt.date | None) -> None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date) and not DATE_MIN <= value <= DATE_MAX:
        raise ValidationError(
            "%(value)s is outside the dates this product accepts (%(min)s to %(max)s).",
            code="date_out_of_range", params={"value": value, "min": DATE_MIN, "max": DATE_MAX},
        )


SINGLE_LINE = [validate_single_line]
MULTILINE = [MaxLengthValidator(TEXT_MAX), validate_multiline]
DATE = [validate_date_range]
COUNTRY = [validate_single_line, validate_country]
CURRENCY = [validate_single_line, validate_currency]
COUNTRIES = [validate_single_line, validate_countries]
