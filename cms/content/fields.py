"""The building blocks of the CV's tables: checked URLs, dated periods, list entries, rows."""

from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, StringConstraints, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import CheckConstraint, DateTime, Enum
from sqlmodel import AutoString, Field, SQLModel

from cms.content.dates import DatePrecision
from cms.content.links import RefusedLinkError, check_link
from cms.core.models import json_dict_field, timestamp_field

__all__ = [
    "ALT_MAX",
    "ContentRow",
    "Illustrated",
    "LINE_MAX",
    "LONG_TEXT_MAX",
    "HttpUrlStr",
    "Line",
    "ListEntry",
    "Period",
    "end_after_start",
    "long_text",
    "precision_field",
    "scheduled_time",
]


def _check_link(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        return check_link(value)
    except RefusedLinkError as exc:
        # Its own error type: an import keeps a malformed link ("value_error") with a warning,
        # never a refused one.
        raise PydanticCustomError("refused_link", str(exc)) from None


HttpUrlStr = Annotated[str, AfterValidator(_check_link)]
"""A link kept as typed, checked by the one link rule (:func:`cms.content.links.check_link`)."""

LONG_TEXT_MAX = 10_000  # characters: a summary of several paragraphs, never megabytes
LINE_MAX = 1_000  # characters of one list item (a highlight, a keyword)
ALT_MAX = 300  # characters of an image's text alternative: a sentence or two

Line = Annotated[str, StringConstraints(max_length=LINE_MAX)]
"""One item of a list field."""


def long_text() -> Any:
    """A free-text column (no length in the database) with a limit every writer checks."""
    return Field(default=None, max_length=LONG_TEXT_MAX, sa_type=AutoString)


def precision_field() -> Any:
    """The column saying how much of a date the CV states."""
    return Field(
        default=DatePrecision.day,
        sa_type=Enum(DatePrecision, name="date_precision", native_enum=False, length=8),
    )


def end_after_start() -> CheckConstraint:
    """The database's copy of :class:`Period`'s rule."""
    return CheckConstraint(
        "end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
        name="end_after_start",
    )


class Period(SQLModel):
    """A start and an optional end; the end may not come before the start."""

    start_date: date | None = None
    start_precision: DatePrecision = precision_field()
    end_date: date | None = None
    end_precision: DatePrecision = precision_field()

    @model_validator(mode="after")
    def _check_order(self) -> "Period":
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


class Illustrated(SQLModel):
    """An entry with an image: uploaded (``image_media_id``, see :mod:`cms.media`) or given as a
    URL (the column :attr:`image_url_field` names), never both, and its text alternative."""

    image_media_id: str | None = Field(default=None, foreign_key="media.id", max_length=32)
    image_alt: str | None = Field(
        default=None,
        max_length=ALT_MAX,
        description="What the image shows, for people who cannot see it (required with an "
        "uploaded image).",
    )

    image_url_field: ClassVar[str]
    """The column holding an image given as a URL."""
    image_upload: ClassVar[None] = None
    """The back office's file field: SQLAdmin reads a row attribute of that name on edits."""

    @model_validator(mode="after")
    def _check_image(self) -> "Illustrated":
        if not self.image_media_id:
            return self
        if getattr(self, self.image_url_field, None):
            raise ValueError(
                f"{self.image_url_field} holds the URL of another image: clear it to show the "
                "uploaded one"
            )
        if not (self.image_alt or "").strip():
            raise ValueError("image_alt is required with an uploaded image: describe what it shows")
        return self


def _in_utc(value: datetime | None) -> datetime | None:
    # The database keeps UTC; SQLite gives its values back without a zone, meaning UTC.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ScheduledTime = Annotated[datetime | None, AfterValidator(_in_utc)]
"""A moment at which an entry's published state changes, in UTC."""


def scheduled_time(description: str) -> Any:
    """A column holding a :data:`ScheduledTime` (``None``: nothing scheduled)."""
    return Field(default=None, sa_type=DateTime(timezone=True), description=description)


class ListEntry(SQLModel):
    """Fields every list entry has: manual order, draft/published state and its schedule.

    ``publish_at`` and ``unpublish_at`` are changes of ``is_published`` to come
    (:mod:`cms.content.schedule` applies them, then clears them).
    """

    sort_order: int = Field(default=0, ge=-(2**31), le=2**31 - 1)  # an INTEGER column
    is_published: bool = True
    publish_at: ScheduledTime = scheduled_time("When the entry becomes published (UTC).")
    unpublish_at: ScheduledTime = scheduled_time("When the entry becomes a draft again (UTC).")

    @model_validator(mode="after")
    def _check_schedule(self) -> "ListEntry":
        if self.publish_at is not None and self.publish_at == self.unpublish_at:
            raise ValueError("unpublish_at must differ from publish_at")
        return self


class ContentRow(SQLModel):
    """Columns of every CV section table beyond its editable fields.

    ``extra`` keeps the JSON Resume properties we have no column for, so export gives them back;
    ``translations`` the texts in the other locales (:mod:`cms.content.localized`).
    """

    id: int | None = Field(default=None, primary_key=True)
    extra: dict[str, Any] = json_dict_field()
    translations: dict[str, Any] = json_dict_field()
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field(onupdate=True)
