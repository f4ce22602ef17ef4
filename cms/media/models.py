"""The tables of uploaded images: one ``media`` row per image, one ``media_variants`` row per size.

Rows are immutable and content-addressed (the id is the SHA-256 of the full variant): the same
image uploaded twice is one row, whoever shows it. Entries refer to an image by id
(``image_media_id``); the write rules keep ``published`` true exactly while a public entry
shows it, and delete an image no entry refers to (:func:`cms.media.storage.sync_media`). With
``MEDIA_STORAGE=s3`` a variant's ``data`` is empty: its bytes are in the bucket.
"""

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, Relationship, SQLModel

from cms.core.models import timestamp_field

__all__ = ["MEDIA_ID_LENGTH", "Media", "MediaVariant"]

MEDIA_ID_LENGTH = 32  # hex digits of SHA-256 (128 bits)


class Media(SQLModel, table=True):
    """An uploaded image: its size, placeholder colour and where it came from."""

    __tablename__ = "media"

    id: str = Field(primary_key=True, max_length=MEDIA_ID_LENGTH)
    width: int
    """Of the full variant (the image, its longer edge at most 2560 pixels)."""
    height: int
    placeholder: str = Field(max_length=16)
    """The average colour, ``#rrggbb``."""
    original_name: str = Field(default="", max_length=255)
    original_bytes: int = 0
    """The size of the uploaded file."""
    stored_bytes: int = 0
    """The size of every variant together."""
    published: bool = False
    """Shown by a public entry: only then does ``/media/…`` serve it."""
    created_at: datetime = timestamp_field()

    variants: list["MediaVariant"] = Relationship(
        sa_relationship_kwargs={"lazy": "raise_on_sql", "passive_deletes": True}
    )

    def __str__(self) -> str:
        return self.original_name or self.id


class MediaVariant(SQLModel, table=True):
    """One size of an image, WebP; its bytes here, or in the bucket when ``data`` is empty."""

    __tablename__ = "media_variants"

    media_id: str = Field(
        foreign_key="media.id", primary_key=True, ondelete="CASCADE", max_length=MEDIA_ID_LENGTH
    )
    name: str = Field(primary_key=True, max_length=10)
    """``full``, ``1280``, ``640`` or ``320``."""
    width: int
    height: int
    content_type: str = Field(max_length=50)
    etag: str = Field(max_length=40)
    data: bytes | None = Field(default=None, sa_type=LargeBinary)
