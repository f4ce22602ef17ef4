"""Which form field edits which column type, and which columns are text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Date, Enum, Float, String
from wtforms import FloatField, TextAreaField
from wtforms.fields import DateField

from cms.admin.formatters import LinesField

__all__ = ["form_widgets", "text_type"]


def form_widgets(columns: Any) -> dict[str, Any]:
    """Form fields for column types SQLAdmin has no good widget for."""
    widgets: dict[str, Any] = {}
    for column in columns:
        if isinstance(column.type, Date):
            widgets[column.key] = DateField
        elif isinstance(column.type, JSON):
            widgets[column.key] = LinesField
        elif isinstance(column.type, Float):
            # SQLAlchemy 2.1's Float is no longer a Numeric, which SQLAdmin's converter expects.
            widgets[column.key] = FloatField
        elif (text := text_type(column.type)) and (
            text.length is None or column.key in _LONG_TEXTS
        ):
            # Grows with what is typed (static/forms.js).
            widgets[column.key] = TextAreaField
    return widgets


_LONG_TEXTS = frozenset({"description", "summary"})
"""Text columns with a length that still hold sentences, edited in a text area."""


def text_type(column_type: Any) -> String | None:
    """The text type of a column (SQLModel's ``AutoString`` wraps one), ``None`` if not text."""
    found = getattr(column_type, "impl", column_type)
    return found if isinstance(found, String) and not isinstance(found, Enum) else None
