"""Shared helpers of the back-office tests: the test owner, tokens, form payloads, checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.admin.sessions import start_session
from cms.content.models import Technology
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.db import current_content_version
from cms.core.models import AdminUser, AuditLog
from cms.core.security import create_access_token, hash_password, password_fingerprint

OWNER = "owner"
OWNER_PASSWORD = "quiet ember orchard tango 1987"


@dataclass(frozen=True)
class Owner:
    """An admin account created for a test."""

    id: int
    username: str
    password: str
    password_hash: str


@cache
def owner_hash() -> str:
    # argon2 is deliberately slow: hash the test password once per session.
    return hash_password(OWNER_PASSWORD)


def token_for(
    owner: Owner, settings: Settings, *, lifetime: timedelta | None = None, sid: str = "none"
) -> str:
    """A correctly signed token for ``owner`` naming session ``sid`` (no row: see session_token)."""
    return create_access_token(
        subject=owner.username,
        secret_key=settings.secret_key,
        lifetime=lifetime or timedelta(minutes=settings.jwt_lifetime_minutes),
        claims={"uid": owner.id, "sid": sid, "pwv": password_fingerprint(owner.password_hash)},
    )


async def session_token(
    engine: AsyncEngine, owner: Owner, settings: Settings, *, client: str = "127.0.0.1"
) -> str:
    """What a successful login sets for ``owner``: a session row and the token naming it."""
    lifetime = timedelta(minutes=settings.jwt_lifetime_minutes)
    async with make_sessionmaker(engine)() as session, session.begin():
        user = await session.get(AdminUser, owner.id)
        assert user is not None
        secret = await start_session(session, user, client=client, user_agent="", lifetime=lifetime)
    return token_for(owner, settings, sid=secret)


def error_next_to(html: str, field: str) -> list[str]:
    """Messages rendered in the same form group as the ``field`` input."""
    groups = re.split(r'<div class="mb-3 form-group row">', html)
    (group,) = [g for g in groups if re.search(rf'id="{field}"', g)]
    return form_errors(group)


def form_errors(html: str) -> list[str]:
    """The messages SQLAdmin shows next to form fields."""
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r'<div class="invalid-feedback">(.*?)</div>', html, flags=re.S)
    ]


def work_form(**overrides: Any) -> dict[str, Any]:
    """A complete, valid work-experience form as the browser submits it."""
    form: dict[str, Any] = {
        "company": "Acme Analytics",
        "position": "Backend engineer",
        "url": "https://acme.example",
        "location": "Berlin",
        "description": "",
        "summary": "Built the data platform.",
        "highlights": "Cut costs by 40%\nMentored two juniors\n",
        "start_date": "2021-03-01",
        "start_precision": "month",
        "end_date": "",
        "end_precision": "day",
        "sort_order": "1",
        "is_published": "y",
        "save": "Save",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def project_form(**overrides: Any) -> dict[str, Any]:
    """A complete, valid project form."""
    form: dict[str, Any] = {
        "name": "Portfolio CMS",
        "slug": "portfolio-cms",
        "description": "This site.",
        "highlights": "",
        "url": "",
        "github_url": "https://github.com/example/cms",
        "demo_url": "",
        "image_url": "",
        "roles": "",
        "entity": "",
        "type": "",
        "start_date": "",
        "start_precision": "day",
        "end_date": "",
        "end_precision": "day",
        "sort_order": "0",
        "is_published": "y",
        "save": "Save",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def skill_form(**overrides: Any) -> dict[str, Any]:
    """A complete, valid skill form."""
    form: dict[str, Any] = {
        "name": "Python",
        "category": "Languages",
        "level": "5",
        "level_label": "",
        "years_experience": "8",
        "keywords": "asyncio\ntyping",
        "sort_order": "0",
        "is_published": "y",
        "save": "Save",
    }
    form.update(overrides)
    return form


async def add_technologies(engine: AsyncEngine, *names: str) -> list[int]:
    """Create technologies; their ids in the given order."""
    async with make_sessionmaker(engine)() as session, session.begin():
        rows = [Technology(name=name) for name in names]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows if row.id is not None]


async def count(engine: AsyncEngine, model: type) -> int:
    """Rows in ``model``'s table."""
    async with make_sessionmaker(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def content_version(engine: AsyncEngine) -> int:
    """The committed content version."""
    async with make_sessionmaker(engine)() as session:
        return await current_content_version(session)


async def audit_entries(engine: AsyncEngine) -> list[AuditLog]:
    """The audit log, oldest first."""
    async with make_sessionmaker(engine)() as session:
        return list((await session.scalars(select(AuditLog).order_by(AuditLog.id))).all())
