"""How the back office shows values: list and details formatters, and lists edited as lines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from wtforms import TextAreaField

from cms.content.dates import format_partial_date
from cms.core.models import as_utc

__all__ = [
    "LinesField",
    "chips_formatter",
    "date_formatter",
    "flag_formatter",
    "format_time",
    "list_footer_gettext",
    "names_formatter",
    "text_formatter",
    "time_formatter",
]

CHIPS_SHOWN = 2
"""How many names a list row shows as chips before "+N" (the row stays one line high)."""


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


def chips_formatter(attr: str, shown: int = CHIPS_SHOWN) -> Any:
    """A list of names (technologies, keywords) as one line of chips, the rest as "+N"."""

    def formatter(model: Any, _attribute: Any) -> Markup:
        names = [str(item) for item in getattr(model, attr) or []]
        if not names:
            return Markup("")
        chips = [Markup('<span class="cms-chip">{}</span>').format(name) for name in names[:shown]]
        if len(names) > shown:
            rest = ", ".join(names[shown:])
            chips.append(
                Markup('<span class="cms-chip cms-chip-more" title="{}">+{}</span>').format(
                    rest, len(names) - shown
                )
            )
        return Markup('<span class="cms-chips" title="{}">{}</span>').format(
            ", ".join(names), Markup("").join(chips)
        )

    return formatter


def text_formatter(attr: str) -> Any:
    """A text on one line, cut with an ellipsis where the column is narrow (all of it on hover)."""

    def formatter(model: Any, _attribute: Any) -> Markup:
        value = getattr(model, attr)
        if value is None or value == "":
            return Markup("")
        return Markup('<span class="cms-text" title="{0}">{0}</span>').format(str(value))

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

    def formatter(model: Any, _attribute: Any) -> Markup:
        value = getattr(model, attr)
        if value is None:
            return Markup("")
        return Markup('<span class="cms-time">{}</span>').format(format_time(value))

    return formatter


def format_time(value: datetime | None) -> str:
    """A time as the owner reads it: to the minute, in UTC, saying so."""
    return "" if value is None else as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


_SHOWING = "Showing %(start)s to %(end)s of %(count)s items"


def list_footer_gettext(gettext: Any) -> Any:
    """The templates' ``_``, except that an empty list's footer says so.

    SQLAdmin's list footer is outside any block a template can override, and for no rows it
    reads "Showing 1 to 0 of 0 items".
    """

    @pass_context
    def translate(context: Context, message: str, **values: Any) -> Any:
        if message == _SHOWING and values.get("count") == 0:
            return "Nothing here yet."
        return gettext(context, message, **values)

    return translate
