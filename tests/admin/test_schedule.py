"""Scheduled publishing in the back office: times in the owner's zone, the badge, the dashboard."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.models import Skill, Work
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.models import as_utc
from tests.admin.helpers import error_next_to, form_errors, skill_form, work_form
from tests.databases import make_settings

ZONE = "America/New_York"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The owner lives in New York (UTC-5 in winter, UTC-4 in summer)."""
    return make_settings(database_url, owner_timezone=ZONE)


async def _only(engine: AsyncEngine, model: type) -> object:
    async with make_sessionmaker(engine)() as session:
        (row,) = (await session.scalars(select(model))).all()
        return row


def _input(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no {name} input"
    return match.group(0)


async def test_times_are_typed_and_shown_in_the_owners_zone_and_stored_in_utc(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    form = skill_form(
        is_published="", publish_at="2027-01-15T09:30", unpublish_at="2027-07-01T18:00"
    )
    form.pop("is_published")
    created = await admin_client.post("/admin/skill/create", data=form)
    assert created.status_code == 302, form_errors(created.text)

    skill = await _only(engine, Skill)
    assert isinstance(skill, Skill) and not skill.is_published
    assert as_utc(skill.publish_at) == datetime(2027, 1, 15, 14, 30, tzinfo=UTC)  # EST
    assert as_utc(skill.unpublish_at) == datetime(2027, 7, 1, 22, 0, tzinfo=UTC)  # EDT

    page = await admin_client.get(f"/admin/skill/edit/{skill.id}")
    publish = _input(page.text, "publish_at")
    assert 'type="datetime-local"' in publish and 'value="2027-01-15T09:30"' in publish
    assert 'value="2027-07-01T18:00"' in _input(page.text, "unpublish_at")
    assert f"In {ZONE} time" in page.text
    assert "cms-flag-scheduled" in page.text
    assert "Publishes 2027-01-15 09:30 America/New_York" in page.text

    listed = await admin_client.get("/admin/skill/list")
    assert ">Scheduled</span>" in listed.text and ">Draft</span>" in listed.text

    details = await admin_client.get(f"/admin/skill/details/{skill.id}")
    assert "2027-07-01 18:00 America/New_York" in details.text


async def test_a_time_the_clocks_skip_and_one_time_for_both_are_refused_next_to_them(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # 2027-03-14: New York's clocks go from 02:00 straight to 03:00.
    skipped = await admin_client.post(
        "/admin/skill/create", data=skill_form(publish_at="2027-03-14T02:30")
    )
    assert skipped.status_code == 400
    assert error_next_to(skipped.text, "publish_at") == [
        "2027-03-14 02:30 does not exist in America/New_York: the clocks skip it. "
        "Choose another time."
    ]
    same = "2027-05-01T12:00"
    both = await admin_client.post(
        "/admin/skill/create", data=skill_form(publish_at=same, unpublish_at=same)
    )
    assert both.status_code == 400
    assert error_next_to(both.text, "unpublish_at") == ["Unpublish at must differ from publish at."]
    garbled = await admin_client.post(
        "/admin/skill/create", data=skill_form(publish_at="next tuesday")
    )
    assert error_next_to(garbled.text, "publish_at") == [
        "Enter a date and time like 2026-12-07 09:00."
    ]
    async with make_sessionmaker(engine)() as session:
        assert (await session.scalars(select(Skill))).all() == []


async def test_clearing_a_time_cancels_it_and_the_badge_goes(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    created = await admin_client.post(
        "/admin/work/create", data=work_form(publish_at="2027-02-01T08:00")
    )
    assert created.status_code == 302, form_errors(created.text)
    work = await _only(engine, Work)
    assert isinstance(work, Work) and work.publish_at is not None

    saved = await admin_client.post(f"/admin/work/edit/{work.id}", data=work_form(publish_at=""))
    assert saved.status_code == 302, form_errors(saved.text)
    work = await _only(engine, Work)
    assert isinstance(work, Work) and work.publish_at is None
    listed = await admin_client.get("/admin/work/list")
    assert ">Scheduled</span>" not in listed.text


async def test_the_dashboard_lists_what_is_coming_in_the_owners_zone(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with make_sessionmaker(engine)() as session, session.begin():
        session.add(
            Skill(
                name="Rust",
                is_published=False,
                publish_at=datetime(2027, 1, 15, 14, 30, tzinfo=UTC),
            )
        )
        session.add(Work(company="Acme", unpublish_at=datetime(2027, 1, 10, 12, 0, tzinfo=UTC)))

    page = await admin_client.get("/admin/")

    assert page.status_code == 200
    table = page.text.split('class="table card-table cms-scheduled"', 1)[1].split("</table>")[0]
    rows = [re.sub(r"<[^>]+>", " ", row) for row in table.split("<tr>")[2:]]
    assert [" ".join(row.split()) for row in rows] == [
        "2027-01-10 07:00 America/New_York Unpublish Work experience: Acme",
        "2027-01-15 09:30 America/New_York Publish Skill: Rust",
    ]
    assert "/admin/skill/edit/" in table
