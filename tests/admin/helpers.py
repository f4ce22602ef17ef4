"""Form payloads and database checks shared by the back-office tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.db import current_content_version, make_sessionmaker
from cms.models import AuditLog, Technology


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
