"""Fixtures for the back office: an owner account and a client logged in as the owner."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.admin.auth import COOKIE_NAME
from cms.config import Settings
from cms.db import make_sessionmaker
from cms.models import AdminUser
from cms.security import create_access_token, hash_password, password_fingerprint

OWNER = "owner"
OWNER_PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Owner:
    """An admin account created for a test."""

    id: int
    username: str
    password: str
    password_hash: str


@cache
def _owner_hash() -> str:
    # argon2 is deliberately slow: hash the test password once per session.
    return hash_password(OWNER_PASSWORD)


@pytest.fixture
async def owner(engine: AsyncEngine) -> Owner:
    """An active admin account ``owner``."""
    async with make_sessionmaker(engine)() as session, session.begin():
        user = AdminUser(username=OWNER, password_hash=_owner_hash(), is_active=True)
        session.add(user)
        await session.flush()
        assert user.id is not None
        return Owner(user.id, OWNER, OWNER_PASSWORD, user.password_hash)


def token_for(owner: Owner, settings: Settings, *, lifetime: timedelta | None = None) -> str:
    """A valid session token for ``owner`` (what a successful login sets)."""
    return create_access_token(
        subject=owner.username,
        secret_key=settings.secret_key,
        lifetime=lifetime or timedelta(minutes=settings.jwt_lifetime_minutes),
        claims={"uid": owner.id, "pwv": password_fingerprint(owner.password_hash)},
    )


@pytest.fixture
async def admin_client(
    client: httpx.AsyncClient, owner: Owner, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """The test client, logged in as ``owner``."""
    client.cookies.set(
        COOKIE_NAME, token_for(owner, settings), domain="testserver.local", path="/admin"
    )
    yield client


def form_errors(html: str) -> list[str]:
    """The messages SQLAdmin shows next to form fields."""
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r'<div class="invalid-feedback">(.*?)</div>', html, flags=re.S)
    ]
