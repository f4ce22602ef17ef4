"""Dates at the precision a CV states them (``2020``, ``2020-05``, ``2020-05-17``).

A ``date`` column holds the first day and a ``*_precision`` column says how much of it is
meaningful; these helpers convert between that pair and ISO-8601 text.
"""

from __future__ import annotations

import enum
from datetime import date

__all__ = ["DatePrecision", "format_partial_date", "parse_partial_date"]


class DatePrecision(enum.StrEnum):
    """How much of a stored date the CV states."""

    year = "year"
    month = "month"
    day = "day"


def parse_partial_date(value: str) -> tuple[date, DatePrecision]:
    """``"2020"`` → (2020-01-01, year); ``"2020-05"`` → (2020-05-01, month); full dates → day."""
    parts = value.split("-")
    if len(parts) == 1:
        return date(int(parts[0]), 1, 1), DatePrecision.year
    if len(parts) == 2:
        return date(int(parts[0]), int(parts[1]), 1), DatePrecision.month
    return date.fromisoformat(value), DatePrecision.day


def format_partial_date(value: date | None, precision: DatePrecision | str | None) -> str | None:
    """The ISO-8601 text of a stored date at its stated precision."""
    if value is None:
        return None
    if precision == DatePrecision.year:
        return f"{value.year:04d}"
    if precision == DatePrecision.month:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()
