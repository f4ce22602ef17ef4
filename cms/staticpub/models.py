"""The outbox of static publishing: one row per target, with the version its copy holds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Text
from sqlmodel import Field, SQLModel

__all__ = ["StaticCopy"]


class StaticCopy(SQLModel, table=True):
    """What one target (``folder``, ``s3``) holds: the content version it was last published
    at and each object's ETag there. Every newer content version is pending for it."""

    __tablename__ = "static_copies"

    target: str = Field(primary_key=True, max_length=20)
    version: int = Field(default=0)
    """The content version whose set the target holds in full (0: nothing yet)."""
    manifest: str = Field(default="{}", sa_type=Text)
    """JSON: object key → ETag of every object the target holds."""
    attempted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    published_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    error: str | None = Field(default=None, max_length=300)
    """Why the last attempt failed (``None``: it succeeded)."""
    locked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    """A lease: one publisher per target at a time, across processes."""
