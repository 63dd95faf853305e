"""The 0.1 % test of MOFCOM Announcement No. 61 of 2025, computed exactly (docs/exposure.md).

share = (value of the China-origin content of controlled rare earths, in the product's currency)
        / (the product's unit value)

Every amount is a ``Fraction`` built from the stored decimals, conversions included, so the
comparison with 1/1000 is exact: a product at exactly 0.1 % is at the threshold, one a
millionth of a cent below it is not. Rounding happens only for display.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

THRESHOLD = Fraction(1, 1000)


class MissingRate(LookupError):
    def __init__(self, source: str, target: str, on: dt.date) -> None:
        super().__init__(f"No exchange rate from {source} to {target} on or before {on:%Y-%m-%d}.")
        self.source, self.target, self.on = source, target, on


@dataclass
class FxTable:
    """The dated rates, loaded once: ``rows[(currency, quote)]`` newest first."""

    rows: dict[tuple[str, str], list[tuple[dt.date, Fraction]]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rates: Iterable[tuple[str, str, dt.date, Decimal]]) -> FxTable:
        table: dict[tuple[str, str], list[tuple[dt.date, Fraction]]] = defaultdict(list)
        for currency, quote, valid_from, rate in rates:
            table[(currency, quote)].append((valid_from, Fraction(rate)))
        for rows in table.values():
            rows.sort(reverse=True)
        return cls(dict(table))

    def _edges(self, on: dt.date) -> dict[str, dict[str, Fraction]]:
        """The rate of each pair in force on ``on``, both ways."""
        edges: dict[str, dict[str, Fraction]] = defaultdict(dict)
        for (a, b), rows in self.rows.items():
            rate = next((r for day, r in rows if day <= on), None)
            if rate is not None:
                edges[a].setdefault(b, rate)
                edges[b].setdefault(a, 1 / rate)
        return edges

    def rate(self, source: str, target: str, on: dt.date) -> Fraction:
        """Units of ``target`` per unit of ``source`` on ``on``: the direct pair, its inverse, or
        the shortest chain of pairs (e.g. CNY -> USD -> EUR), exactly."""
        if source == target:
            return Fraction(1)
        edges = self._edges(on)
        queue: deque[tuple[str, Fraction]] = deque([(source, Fraction(1))])
        seen = {source}
        while queue:
            here, acc = queue.popleft()
            for there, r in edges.get(here, {}).items():
                if there == target:
                    return acc * r
                if there not in seen:
                    seen.add(there)
                    queue.append((there, acc * r))
        raise MissingRate(source, target, on)


@dataclass(frozen=True)
class Content:
    element: str
    china_origin: bool
    value: Decimal
    currency: str


@dataclass
class Share:
    """The result for one product on one day: ``share`` is None when a rate is missing."""

    share: Fraction | None
    china_value: Fraction | None
    currency: str
    missing: str = ""

    @property
    def at_or_above(self) -> bool:
        return self.share is not None and self.share >= THRESHOLD

    @property
    def percent(self) -> Decimal | None:
        """The share in per cent, to four decimals (display only)."""
        if self.share is None:
            return None
        exact = self.share * 100
        return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_EVEN
        )


def china_share(
    *, unit_value: Decimal, currency: str, contents: Iterable[Content], controlled: set[str], fx: FxTable,
    on: dt.date,
) -> Share:
    """The share of China-origin controlled rare-earth value in one unit's value on ``on``.

    Content of other origins, or of elements outside ``controlled``, does not count.
    """
    total = Fraction(0)
    try:
        for c in contents:
            if c.china_origin and c.element in controlled:
                total += Fraction(c.value) * fx.rate(c.currency, currency, on)
    except MissingRate as exc:
        return Share(None, None, currency, str(exc))
    return Share(total / Fraction(unit_value), total, currency)
