"""The public API in several locales: ``?locale=``, ``Content-Language``, fallbacks, the
locales list, the stored responses per locale, previews and ``PUT ?locale=``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from cms.content.models import Basics, Skill, Work
from cms.content.publish import ensure_published
from cms.content.sections import SECTIONS
from cms.content.session import make_sessionmaker
from cms.content.translating import set_translation
from cms.core.db import create_engine
from cms.core.models import StoredResponse
from cms.core.tokens import create_token
from cms.main import create_app
from tests.databases import make_settings
from tests.public.factories import add, add_basics, add_work

LOCALES = ["en", "de", "fr"]


@pytest.fixture
async def localized_engine(engine: AsyncEngine, database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the database under test whose settings have three locales."""
    localized = create_engine(make_settings(database_url, locales=LOCALES))
    yield localized
    await localized.dispose()


@pytest.fixture
async def cv(localized_engine: AsyncEngine) -> dict[str, Any]:
    """A small CV with German texts for some fields, written through the write path."""
    async with make_sessionmaker(localized_engine)() as session:
        await add_basics(
            session,
            summary="Builds things.",
            translations={"de": {"label": "Ingenieurin", "summary": ""}},
        )
        work = await add_work(
            session,
            company="ACME",
            position="Developer",
            start="2021-03",
            highlights=["Shipped the API"],
            technologies=["Python"],
            translations={"de": {"position": "Entwicklerin", "highlights": ["API geliefert"]}},
        )
        await add(
            session,
            Skill(
                name="Python", category="Languages", translations={"de": {"category": "Sprachen"}}
            ),
        )
        return {"work_id": work.id}


@pytest.fixture
async def localized_client(
    localized_engine: AsyncEngine, database_url: str, cv: dict[str, Any]
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with the three locales, its responses published."""
    await ensure_published(localized_engine)
    app = create_app(make_settings(database_url, locales=LOCALES), localized_engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await app.database.close()


async def test_locales_lists_every_locale_default_first_with_its_own_name(
    localized_client: httpx.AsyncClient,
) -> None:
    response = await localized_client.get("/api/v1/locales")

    assert response.status_code == 200
    assert response.json() == {
        "default": "en",
        "locales": [
            {"tag": "en", "name": "English"},
            {"tag": "de", "name": "Deutsch"},
            {"tag": "fr", "name": "français"},
        ],
    }
    assert response.headers["content-language"] == "en"


async def test_a_locale_translates_its_texts_and_falls_back_to_the_default(
    localized_client: httpx.AsyncClient,
) -> None:
    default = await localized_client.get("/api/v1/experience")
    german = await localized_client.get("/api/v1/experience?locale=de")
    french = await localized_client.get("/api/v1/experience", params={"locale": "fr"})

    assert default.headers["content-language"] == "en"
    assert german.headers["content-language"] == "de"
    assert french.headers["content-language"] == "fr"
    (job,) = default.json()
    (job_de,) = german.json()
    assert (job["position"], job["highlights"]) == ("Developer", ["Shipped the API"])
    assert (job_de["position"], job_de["highlights"]) == ("Entwicklerin", ["API geliefert"])
    assert job_de["company"] == "ACME"  # no translation: the default's text
    assert job_de["start_date"] == job["start_date"] and job_de["id"] == job["id"]
    assert french.json() == default.json()  # nothing translated into French yet
    assert german.headers["etag"] != default.headers["etag"]


async def test_personal_info_falls_back_for_an_empty_translation(
    localized_client: httpx.AsyncClient,
) -> None:
    info = (await localized_client.get("/api/v1/personal-info?locale=de")).json()

    assert info["title"] == "Ingenieurin"
    assert info["summary"] == "Builds things."  # "" is no translation


async def test_a_locale_hit_has_its_etag_304_and_comes_from_memory(
    localized_client: httpx.AsyncClient,
) -> None:
    first = await localized_client.get("/api/v1/experience?locale=de")
    again = await localized_client.get("/api/v1/experience?locale=de")
    cached = await localized_client.get(
        "/api/v1/experience?locale=de", headers={"If-None-Match": first.headers["etag"]}
    )
    head = await localized_client.head("/api/v1/experience?locale=DE")

    assert again.headers["x-cache"] == "HIT"
    assert again.content == first.content
    assert cached.status_code == 304
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == first.headers["etag"]


async def test_filters_and_details_answer_in_the_locale(
    localized_client: httpx.AsyncClient, cv: dict[str, Any]
) -> None:
    german = await localized_client.get("/api/v1/skills?category=sprachen&locale=de")
    english = await localized_client.get("/api/v1/skills?locale=en&category=Sprachen")
    one = await localized_client.get(f"/api/v1/experience/{cv['work_id']}?locale=de")
    alias = await localized_client.get(f"/api/experience/{cv['work_id']}?locale=de")

    assert [s["category"] for s in german.json()] == ["Sprachen"]
    assert german.headers["content-language"] == "de"
    assert english.json() == []
    assert one.json()["position"] == "Entwicklerin"
    assert one.headers["content-language"] == "de"
    assert alias.content == one.content


async def test_an_unknown_locale_is_a_404_listing_the_locales(
    localized_client: httpx.AsyncClient,
) -> None:
    response = await localized_client.get("/api/v1/experience?locale=it")
    bad_query = await localized_client.get("/api/v1/experience?locale=de&colour=red")

    assert response.status_code == 404
    body = response.json()
    assert "en, de, fr" in body["error"] and "'it'" in body["error"]
    assert body["details"][0]["locales"] == LOCALES
    assert body["details"][0]["loc"] == ["query", "locale"]
    assert bad_query.status_code == 422  # the locale is not an unknown parameter, colour is
    assert [d["loc"] for d in bad_query.json()["details"]] == [["query", "colour"]]


async def test_the_resume_of_a_locale_says_so_in_meta_and_the_cv_page_is_in_it(
    localized_client: httpx.AsyncClient,
) -> None:
    resume = (await localized_client.get("/api/v1/resume?locale=de")).json()
    default = (await localized_client.get("/api/v1/resume")).json()
    page = await localized_client.get("/cv?locale=de")

    assert resume["meta"]["locale"] == "de"
    assert default["meta"]["locale"] == "en"
    assert resume["work"][0]["position"] == "Entwicklerin"
    assert page.headers["content-language"] == "de"
    html = page.text
    assert '<html lang="de">' in html
    assert ">Berufserfahrung</h2>" in html and "März 2021" in html and "heute" in html
    assert "Entwicklerin" in html


async def test_every_locale_is_stored_under_the_version_and_a_write_renders_each(
    localized_engine: AsyncEngine, localized_client: httpx.AsyncClient, cv: dict[str, Any]
) -> None:
    async with make_sessionmaker(localized_engine)() as session:
        stored = (await session.execute(select(StoredResponse.path, StoredResponse.locale))).all()
        work = await session.get(Work, cv["work_id"])
        assert work is not None
        changed = set_translation(
            SECTIONS["work"], work, "fr", {"position": "Développeuse"}, actor="test"
        )
        await session.commit()

    french = await localized_client.get("/api/v1/experience?locale=fr")
    german = await localized_client.get("/api/v1/experience?locale=de")

    assert changed
    assert {locale for _, locale in stored} == set(LOCALES)
    per_locale = {tag: {p for p, t in stored if t == tag} for tag in LOCALES}
    assert per_locale["de"] == per_locale["en"] == per_locale["fr"]
    assert french.json()[0]["position"] == "Développeuse"
    assert german.json()[0]["position"] == "Entwicklerin"


async def test_a_translation_that_breaks_the_rules_is_refused(
    localized_engine: AsyncEngine, cv: dict[str, Any]
) -> None:
    from cms.content.write import WriteError

    async with make_sessionmaker(localized_engine)() as session:
        work = await session.get(Work, cv["work_id"])
        with pytest.raises(WriteError) as refused:
            set_translation(SECTIONS["work"], work, "de", {"position": "x" * 201}, actor="t")
        with pytest.raises(WriteError) as not_text:
            set_translation(SECTIONS["work"], work, "de", {"url": "https://x.de"}, actor="t")

    assert list(refused.value.problems) == ["position"]
    assert list(not_text.value.problems) == ["url"]


async def test_a_preview_with_a_token_takes_the_locale_too(
    localized_engine: AsyncEngine, localized_client: httpx.AsyncClient
) -> None:
    async with make_sessionmaker(localized_engine)() as session:
        await add_work(
            session,
            company="Draft Inc",
            position="Intern",
            is_published=False,
            translations={"de": {"position": "Praktikantin"}},
        )
        _, token = await create_token(
            session, name="preview", scope="read-drafts", expires_in_days=None, actor="test"
        )
        await session.commit()
    headers = {"X-API-Key": token}

    german = await localized_client.get("/api/v1/experience?locale=de", headers=headers)
    unknown = await localized_client.get("/api/v1/experience?locale=xx", headers=headers)

    assert german.status_code == 200
    assert german.headers["cache-control"] == "private, no-store"
    assert german.headers["content-language"] == "de"
    assert {job["position"] for job in german.json()} == {"Entwicklerin", "Praktikantin"}
    assert unknown.status_code == 404


async def test_put_resume_with_a_locale_writes_only_its_texts(
    localized_engine: AsyncEngine, localized_client: httpx.AsyncClient
) -> None:
    async with make_sessionmaker(localized_engine)() as session:
        _, token = await create_token(
            session, name="ci", scope="write-resume", expires_in_days=None, actor="test"
        )
        await session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    document = (await localized_client.get("/api/v1/resume?locale=fr")).json()
    document["work"][0]["position"] = "Développeuse"
    moved = {**document, "work": [{**document["work"][0], "startDate": "2019-01"}]}

    dry = await localized_client.put(
        "/api/v1/resume?locale=fr&dry_run=true", json=document, headers=headers
    )
    refused = await localized_client.put("/api/v1/resume?locale=fr", json=moved, headers=headers)
    written = await localized_client.put("/api/v1/resume?locale=fr", json=document, headers=headers)
    unknown = await localized_client.put("/api/v1/resume?locale=it", json=document, headers=headers)

    assert dry.status_code == 200 and dry.json()["written"] is False
    assert dry.json()["changes"] == ["work: 1 changed"]
    assert refused.status_code == 422
    assert [d["path"] for d in refused.json()["details"]] == ["$.work[0].startDate"]
    assert written.status_code == 200 and written.json()["written"] is True
    french = await localized_client.get("/api/v1/experience?locale=fr")
    assert french.json()[0]["position"] == "Développeuse"
    resume = await localized_client.get("/api/v1/resume?locale=fr")
    assert written.json()["etag"] == resume.headers["etag"]
    assert unknown.status_code == 404
    async with make_sessionmaker(localized_engine)() as session:
        work = (await session.scalars(select(Work).where(col(Work.company) == "ACME"))).one()
        basics = (await session.scalars(select(Basics))).one()
    assert work.position == "Developer"  # the default's text is untouched
    assert work.translations["fr"] == {"position": "Développeuse"}
    assert "fr" not in basics.translations  # its texts equal the default's: no translation
