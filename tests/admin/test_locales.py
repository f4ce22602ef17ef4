"""The back office in several locales: the switcher on a form, the translation form (the
default's text under each field), saving through the write path, the dashboard's counts."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from cms.content.models import Work
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.models import AuditLog
from tests.databases import make_settings
from tests.public.factories import add_work

SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The app's settings: English first, then German."""
    return make_settings(database_url, locales="en,de")


async def _job(engine: AsyncEngine) -> Work:
    async with make_sessionmaker(engine)() as session:
        return await add_work(
            session,
            company="ACME",
            position="Developer",
            highlights=["Shipped the API", "Ran the team"],
            translations={"de": {"position": "Entwicklerin"}},
        )


async def test_the_form_has_a_language_switcher_to_each_locale(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    job = await _job(engine)

    page = await admin_client.get(f"/admin/work/edit/{job.id}")

    assert page.status_code == 200
    assert 'class="cms-locale-switcher"' in page.text
    assert f'href="http://testserver/admin/translate/work/{job.id}/de" hreflang="de"' in page.text
    assert 'aria-current="page">English (en) · default</li>' in page.text


async def test_the_translation_form_shows_the_default_text_under_each_field(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    job = await _job(engine)

    page = await admin_client.get(f"/admin/translate/work/{job.id}/de")

    assert page.status_code == 200
    html = page.text
    assert 'aria-current="page">Deutsch (de)</li>' in html
    assert 'name="position" type="text" lang="de" value="Entwicklerin"' in html
    assert '<span class="cms-default-label">English:</span> Developer' in html
    assert "Shipped the API\nRan the team" in html  # the default's list, one per line
    assert 'name="url"' not in html and 'name="start_date"' not in html  # not translatable


async def test_saving_translations_writes_them_through_the_write_path(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    job = await _job(engine)
    form = {
        "position": "Entwicklerin",
        "highlights": "API geliefert\n\n  Team geführt ",
        "summary": "",
        "company": "ACME",  # the default's own words: no translation
    }

    saved = await admin_client.post(
        f"/admin/translate/work/{job.id}/de", data=form, headers=SAME_ORIGIN
    )
    shown = await admin_client.get(saved.headers["location"])

    assert saved.status_code == 303
    assert 'id="translation-saved"' in shown.text
    async with make_sessionmaker(engine)() as session:
        row = await session.get(Work, job.id)
        audit = (
            await session.scalars(select(AuditLog).where(col(AuditLog.table_name) == "work"))
        ).all()
    assert row is not None
    assert row.translations == {
        "de": {"position": "Entwicklerin", "highlights": ["API geliefert", "Team geführt"]}
    }
    assert row.position == "Developer"
    assert [entry.username for entry in audit][-1] == "owner"


async def test_a_text_that_breaks_the_rules_is_shown_next_to_its_field(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    job = await _job(engine)

    refused = await admin_client.post(
        f"/admin/translate/work/{job.id}/de", data={"position": "x" * 201}, headers=SAME_ORIGIN
    )

    assert refused.status_code == 422
    assert "at most 200 characters" in refused.text
    async with make_sessionmaker(engine)() as session:
        row = await session.get(Work, job.id)
    assert row is not None and row.translations == {"de": {"position": "Entwicklerin"}}


@pytest.mark.parametrize("locale", ["en", "it"])
async def test_only_the_other_locales_have_a_translation_form(
    admin_client: httpx.AsyncClient, engine: AsyncEngine, locale: str
) -> None:
    job = await _job(engine)

    page = await admin_client.get(f"/admin/translate/work/{job.id}/{locale}")
    missing = await admin_client.get("/admin/translate/work/999999/de")

    assert page.status_code == 404
    assert missing.status_code == 404


async def test_a_cross_site_save_is_refused(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    job = await _job(engine)

    refused = await admin_client.post(
        f"/admin/translate/work/{job.id}/de",
        data={"position": "Böse"},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )

    assert refused.status_code == 403


async def test_the_dashboard_counts_translated_texts_per_locale(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await _job(engine)  # company, position, highlights filled in; position translated

    page = await admin_client.get("/admin/")

    assert page.status_code == 200
    assert '<li class="list-group-item" data-locale="de">de: 1 of 3 texts translated' in page.text
