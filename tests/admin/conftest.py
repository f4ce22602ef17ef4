"""Fixtures for the back office: an owner account and a client logged in as the owner."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.admin.auth import COOKIE_NAME
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.models import AdminUser
from tests.admin.helpers import OWNER, OWNER_PASSWORD, Owner, owner_hash, session_token


@pytest.fixture
async def owner(engine: AsyncEngine) -> Owner:
    """An active admin account ``owner``."""
    async with make_sessionmaker(engine)() as session, session.begin():
        user = AdminUser(username=OWNER, password_hash=owner_hash(), is_active=True)
        session.add(user)
        await session.flush()
        assert user.id is not None
        return Owner(user.id, OWNER, OWNER_PASSWORD, user.password_hash)


@pytest.fixture
async def admin_client(
    client: httpx.AsyncClient, owner: Owner, settings: Settings, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    """The test client, logged in as ``owner`` (with a session row, as a login makes)."""
    token = await session_token(engine, owner, settings)
    client.cookies.set(COOKIE_NAME, token, domain="testserver.local", path="/admin")
    yield client
