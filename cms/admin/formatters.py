"""How the back office shows values: list and details formatters, and lists edited as lines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from wtforms import TextAreaField

from cms.content.dates import format_partial_date
from cms.core.models import as_utc

__all__ = [
    "LinesField",
    "date_formatter",
    "flag_formatter",
    "format_time",
    "names_formatter",
    "time_formatter",
]


class LinesField(TextAreaField):
    """A list of strings edited as one item per line."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "\n".join(str(item) for item in self.data or [])

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.data = [line.strip() for line in str(valuelist[0]).splitlines() if line.strip()]

    def process_data(self, value: Any) -> None:
        self.data = list(value or [])


def date_formatter(date_attr: str, precision_attr: str) -> Any:
    """A list/details formatter showing a date at its stated precision."""

    def formatter(model: Any, _attribute: Any) -> str:
        return format_partial_date(getattr(model, date_attr), getattr(model, precision_attr)) or ""

    return formatter


def names_formatter(attr: str) -> Any:
    """A formatter joining a list (keywords, technologies) with commas."""

    def formatter(model: Any, _attribute: Any) -> str:
        return ", ".join(str(item) for item in getattr(model, attr) or [])

    return formatter


def flag_formatter(attr: str, *, on: str = "Yes", off: str = "No", off_class: str = "off") -> Any:
    """A badge for a boolean column (Published/Draft for the draft flag, else Yes/No)."""

    def formatter(model: Any, _attribute: Any) -> Markup:
        value = bool(getattr(model, attr))
        return Markup('<span class="cms-flag cms-flag-{}">{}</span>').format(
            "on" if value else off_class, escape(on if value else off)
        )

    return formatter


def time_formatter(attr: str) -> Any:
    """A timestamp to the minute, in UTC, saying so (no microseconds)."""

    def formatter(model: Any, _attribute: Any) -> str:
        return format_time(getattr(model, attr))

    return formatter


def format_time(value: datetime | None) -> str:
    """A time as the owner reads it: to the minute, in UTC, saying so."""
    return "" if value is None else as_utc(value).strftime("%Y-%m-%d %H:%M UTC")
