"""Dependency aliases shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["SessionDep", "get_session"]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read session on the app's engine (one per request)."""
    async with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
