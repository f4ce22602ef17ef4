"""The back office's own pages (beside the table views): bound to one admin app."""

from __future__ import annotations

from typing import ClassVar, Self, cast

from sqladmin import BaseView
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cms.core.config import Settings

__all__ = ["AppPage"]


class AppPage(BaseView):
    """A page that reads the app's settings and database (SQLAdmin sets class attributes)."""

    settings: ClassVar[Settings]
    sessionmaker: ClassVar[async_sessionmaker[AsyncSession]]

    @classmethod
    def bound(
        cls, *, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> type[Self]:
        """A subclass for one admin app: SQLAdmin sets identity and templates on the class."""
        attributes = {"settings": settings, "sessionmaker": sessionmaker}
        return cast(type[Self], type(cls.__name__, (cls,), attributes))
