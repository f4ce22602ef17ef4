"""Scheduled publishing in the back office: the two times in the owner's zone, the badge.

The database keeps ``publish_at`` and ``unpublish_at`` in UTC; the owner reads and types them
in ``OWNER_TIMEZONE`` (``<input type="datetime-local">``, whatever zone the browser is in).
A local time the clocks skip (the hour a DST change jumps over) is refused; one they pass twice
is the first of the two. Lists, details and forms show a "Scheduled" badge saying what comes
when; the dashboard lists what is coming (:mod:`cms.admin.dashboard`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from starlette.requests import Request
from wtforms import Form
from wtforms.fields import Field
from wtforms.fields.core import UnboundField
from wtforms.widgets import html_params

from cms.admin.views import EntryView
from cms.core.models import as_utc

__all__ = [
    "SCHEDULE_FIELDS",
    "ScheduledTimeField",
    "ScheduledTimeInput",
    "SchedulingView",
    "format_in_zone",
    "read_local_time",
    "badge_text",
    "schedule_badge",
    "schedule_note",
]

SCHEDULE_FIELDS = {
    "publish_at": ("Publish at", "The entry becomes published at this time."),
    "unpublish_at": ("Unpublish at", "The entry becomes a draft again at this time."),
}
"""The form fields of a schedule: label and what the time does."""

_LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


def format_in_zone(value: datetime, zone: ZoneInfo) -> str:
    """``2026-12-07 09:00 Europe/Lisbon``: a UTC time as the owner reads it."""
    return as_utc(value).astimezone(zone).strftime(f"%Y-%m-%d %H:%M {zone.key}")


def read_local_time(text: str, zone: ZoneInfo) -> datetime:
    """The UTC time of ``text`` (``2026-12-07T09:00``) read in ``zone``.

    Raises :class:`ValueError`, worded for the owner, for text that is no time or a local time
    that does not exist (skipped by a change to summer time).
    """
    try:
        typed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("Enter a date and time like 2026-12-07 09:00.") from None
    if typed.tzinfo is not None:
        return typed.astimezone(UTC)
    local = typed.replace(tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != typed:
        raise ValueError(
            f"{typed:%Y-%m-%d %H:%M} does not exist in {zone.key}: the clocks skip it. "
            "Choose another time."
        )
    return local.astimezone(UTC)


class ScheduledTimeInput:
    """A ``datetime-local`` input showing the time in the field's zone."""

    def __call__(self, field: ScheduledTimeField, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("class", "form-control" + (" is-invalid" if field.errors else ""))
        params = html_params(
            type="datetime-local", name=field.name, value=field._value(), step="60", **kwargs
        )
        return Markup("<input {}>").format(Markup(params))


class ScheduledTimeField(Field):
    """A UTC time entered in ``zone``; empty means nothing is scheduled."""

    widget = ScheduledTimeInput()

    def __init__(
        self, label: str | None = None, validators: Any = None, *, zone: ZoneInfo, **kwargs: Any
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.zone = zone
        self.data: datetime | None = None

    def process_data(self, value: Any) -> None:
        self.data = as_utc(value) if isinstance(value, datetime) else None

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = None
        if text:
            self.data = read_local_time(text, self.zone)  # wtforms shows a ValueError's text

    def _value(self) -> str:
        if self.raw_data and (self.process_errors or self.errors):
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return self.data.astimezone(self.zone).strftime(_LOCAL_INPUT)


def badge_text(row: Any, zone: ZoneInfo) -> str:
    """``Publishes 2026-12-07 09:00 Europe/Lisbon``: the changes ``row`` has coming, in order."""
    changes = sorted(
        (as_utc(when), verb)
        for verb, name in (("publishes", "publish_at"), ("unpublishes", "unpublish_at"))
        if (when := getattr(row, name, None)) is not None
    )
    text = "; ".join(f"{verb} {format_in_zone(when, zone)}" for when, verb in changes)
    return text[:1].upper() + text[1:]


def schedule_badge(row: Any, zone: ZoneInfo) -> Markup:
    """A "Scheduled" badge naming the changes ``row`` has coming (nothing if none)."""
    text = badge_text(row, zone)
    if not text:
        return Markup("")
    return Markup('<span class="cms-flag cms-flag-scheduled" title="{}">Scheduled</span>').format(
        escape(text)
    )


def schedule_note(row: Any, zone: ZoneInfo) -> Markup:
    """The badge and its changes in words, above an entry's form (nothing if none)."""
    badge = schedule_badge(row, zone)
    if not badge:
        return badge
    return Markup('<p class="cms-schedule-note">{} {}.</p>').format(badge, badge_text(row, zone))


class SchedulingView(EntryView):
    """A list entry's view with its schedule: the times in the owner's zone, the badge.

    ``owner_zone`` is set from the settings when the back office is built (:mod:`.site`).
    """

    owner_zone: ZoneInfo = ZoneInfo("UTC")

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        """SQLAdmin's form, each time of the schedule as a time in the owner's zone."""
        form_class = await super().scaffold_form(rules)
        zone = self.owner_zone
        for name, (label, does) in SCHEDULE_FIELDS.items():
            current = getattr(form_class, name, None)
            if not isinstance(current, UnboundField):
                continue
            field = ScheduledTimeField(
                label,
                zone=zone,
                description=f"{does} In {zone.key} time; leave empty for no scheduled change.",
            )
            field.creation_counter = current.creation_counter  # the same place in the form
            setattr(form_class, name, field)
        return form_class

    async def get_list_value(
        self, obj: Any, prop: str, request: Request | None = None
    ) -> tuple[Any, Any]:
        """The list's value; the published flag comes with the Scheduled badge."""
        value, formatted = await super().get_list_value(obj, prop, request)
        return value, self._with_badge(obj, prop, formatted)

    async def get_detail_value(
        self, obj: Any, prop: str, request: Request | None = None
    ) -> tuple[Any, Any]:
        """The details' value; the published flag comes with the Scheduled badge."""
        value, formatted = await super().get_detail_value(obj, prop, request)
        if prop in SCHEDULE_FIELDS and isinstance(value, datetime):
            return value, format_in_zone(value, self.owner_zone)
        return value, self._with_badge(obj, prop, formatted)

    def _with_badge(self, obj: Any, prop: str, formatted: Any) -> Any:
        if prop != "is_published":
            return formatted
        badge = schedule_badge(obj, self.owner_zone)
        return Markup("{} {}").format(formatted, badge) if badge else formatted
