"""A date at the precision the CV states it, edited as one control of the admin's forms.

A date column and its ``*_precision`` column (:mod:`cms.content.dates`) become one form field:
a Year / Month / Day select beside one input whose type follows it (a number for a year,
``type="month"``, ``type="date"``); ``static/forms.js`` switches the input when the select
changes. The server never relies on the script: it reads ``2024``, ``2024-01`` or ``2024-01-15``
and checks the value against the chosen precision.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, NamedTuple

from markupsafe import Markup
from wtforms.fields import Field
from wtforms.utils import unset_value
from wtforms.validators import ValidationError
from wtforms.widgets import html_params

from cms.content.dates import DatePrecision, format_partial_date, parse_partial_date

__all__ = [
    "PARTIAL_DATE_HELP",
    "PartialDate",
    "PartialDateField",
    "PartialDateInput",
    "read_partial_date",
]

PARTIAL_DATE_HELP = "Choose how much of the date the CV shows: a year, a month or a day."

_DEFAULT = DatePrecision.day  # what the precision columns default to
_ORDER = tuple(DatePrecision)  # coarsest first
_SHAPE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?", re.ASCII)
_LABELS = {DatePrecision.year: "Year", DatePrecision.month: "Month", DatePrecision.day: "Day"}
_ASK = {
    DatePrecision.year: "Enter a year like 2024.",
    DatePrecision.month: "Enter a month like 2024-05.",
    DatePrecision.day: "Enter a date like 2024-05-17.",
}
_NO_PRECISION = "Choose whether the CV shows a year, a month or a day."
# The input's attributes at each precision; the placeholders and patterns guide browsers
# without month or date pickers, where those inputs are plain text.
_INPUTS: dict[DatePrecision, dict[str, str]] = {
    DatePrecision.year: {
        "type": "number",
        "min": "1900",
        "max": "2100",
        "step": "1",
        "inputmode": "numeric",
        "placeholder": "2024",
    },
    DatePrecision.month: {"type": "month", "placeholder": "2024-05", "pattern": r"\d{4}-\d{2}"},
    DatePrecision.day: {
        "type": "date",
        "placeholder": "2024-05-17",
        "pattern": r"\d{4}-\d{2}-\d{2}",
    },
}


class PartialDate(NamedTuple):
    """A date column's value with the precision the CV shows it at."""

    value: date | None
    precision: DatePrecision


def read_partial_date(text: str, precision: DatePrecision) -> date:
    """The date ``text`` gives at ``precision``: ``2024``, ``2024-01`` or ``2024-01-15``.

    A longer text is accepted when what it adds is the period's start (``2024-01-01`` is the
    month 2024-01), so nothing typed is dropped; a shorter one says too little.
    """
    if _SHAPE.fullmatch(text) is None:
        raise ValueError(_ASK[precision])
    try:
        value, stated = parse_partial_date(text)
    except ValueError:
        raise ValueError(_ASK[precision]) from None
    start = _start_of(value, precision)
    if _ORDER.index(stated) < _ORDER.index(precision) or value != start:
        raise ValueError(_ASK[precision])
    return start


def _start_of(value: date, precision: DatePrecision) -> date:
    if precision == DatePrecision.year:
        return value.replace(month=1, day=1)
    if precision == DatePrecision.month:
        return value.replace(day=1)
    return value


def _stated_by(text: str) -> DatePrecision:
    """The precision a text's shape states (a form sent without the precision select)."""
    if _SHAPE.fullmatch(text) is None:
        return _DEFAULT
    return _ORDER[text.count("-")]


class PartialDateInput:
    """A precision select beside one date input whose type follows it."""

    def __call__(self, field: PartialDateField, **kwargs: Any) -> Markup:
        """The select (named after the precision column) and the input, side by side."""
        current = field.data.precision
        # On the wrapper too: the theme shows the error after an ``.is-invalid`` sibling.
        invalid = " is-invalid" if field.errors else ""
        options = Markup("").join(
            Markup("<option {}>{}</option>").format(
                Markup(
                    html_params(
                        value=precision.value,
                        selected=precision == current,
                        data_input=json.dumps(_INPUTS[precision]),
                    )
                ),
                _LABELS[precision],
            )
            for precision in DatePrecision
        )
        select = html_params(
            id=field.precision_name,
            name=field.precision_name,
            class_="form-select",
            aria_label=f"How much of the {field.label.text.lower()} the CV shows",
            data_partial_date_precision=True,
        )
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("class", "form-control")
        kwargs.update(_INPUTS[current])
        text = html_params(name=field.name, value=field._value(), **kwargs)
        return Markup(
            '<div class="cms-partial-date{}" data-partial-date>'
            "<select {}>{}</select><input {}></div>"
        ).format(invalid, Markup(select), options, Markup(text))


class PartialDateField(Field):
    """A date column and its precision column as one field; its data is a :class:`PartialDate`.

    ``precision`` names the precision column: the select is submitted under that name.
    """

    widget = PartialDateInput()

    def __init__(
        self, label: str | None = None, validators: Any = None, *, precision: str, **kwargs: Any
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.precision_name = precision
        self.data = PartialDate(None, _DEFAULT)
        self._sent_precision: str | None = None
        self._precision_problem: str | None = None

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        """Read the date and, from the same submitted form, its precision."""
        self._precision_problem = None
        self._sent_precision = None
        if formdata is not None and self.precision_name in formdata:
            self._sent_precision = str(formdata.get(self.precision_name))
        super().process(formdata, data, extra_filters)

    def process_data(self, value: Any) -> None:
        if isinstance(value, PartialDate):
            self.data = value
        else:
            self.data = PartialDate(value if isinstance(value, date) else None, _DEFAULT)

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        if self._sent_precision is None:
            precision = _stated_by(text)
        elif self._sent_precision in DatePrecision.__members__:
            precision = DatePrecision(self._sent_precision)
        else:
            precision, self._precision_problem = _DEFAULT, _NO_PRECISION
        self.data = PartialDate(None, precision)
        if text and self._precision_problem is None:
            self.data = PartialDate(read_partial_date(text, precision), precision)

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        # Here, not while processing: an empty date's Optional() clears earlier errors.
        if self._precision_problem is not None:
            raise ValidationError(self._precision_problem)

    def _value(self) -> str:
        if self.data.value is not None:
            return format_partial_date(self.data.value, self.data.precision) or ""
        return str(self.raw_data[0]) if self.raw_data else ""
