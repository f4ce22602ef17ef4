"""HTTP caching of the public API: ETag, Cache-Control, 304, HEAD, Vary; what is never cached."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.models import Basics
from cms.content.session import make_sessionmaker
from cms.core.etags import if_none_match, make_etag
from cms.core.tokens import create_token
from cms.public.instancecache import DERIVED_MAX_ENTRIES
from tests.public.cache_helpers import AppFactory, add_skill, cache_of, count_reads

SKILLS = "/api/v1/skills"
EXPERIENCE = "/api/v1/experience"


async def test_first_read_misses_then_hits_with_the_same_bytes_and_validators(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, client = await make_app(
        engine, cache_max_age=120, cache_stale_while_revalidate=30, cache_stale_if_error=600
    )
    await add_skill(app, "Python")

    first = await client.get(SKILLS)
    second = await client.get(SKILLS)

    assert first.status_code == second.status_code == 200
    assert [s["name"] for s in first.json()] == ["Python"]
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT")
    assert second.content == first.content
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag), "a strong, quoted ETag"
    assert etag == '"' + hashlib.sha256(first.content).hexdigest()[:32] + '"'
    assert second.headers["etag"] == etag
    expected = "public, max-age=120, stale-while-revalidate=30, stale-if-error=600"
    assert first.headers["cache-control"] == second.headers["cache-control"] == expected
    assert second.headers["content-type"] == "application/json"
    assert int(second.headers["content-length"]) == len(second.content)


@pytest.mark.parametrize(
    "template",
    ["{etag}", "W/{etag}", '"0000", {etag}', '"0000",{etag} , "1111"', "*"],
    ids=["exact", "weak", "list", "list-no-spaces", "star"],
)
async def test_matching_if_none_match_gives_304_without_body(
    engine: AsyncEngine, make_app: AppFactory, template: str
) -> None:
    app, client = await make_app(engine)
    await add_skill(app, "Go")
    fresh = await client.get(SKILLS)
    etag = fresh.headers["etag"]

    response = await client.get(SKILLS, headers={"If-None-Match": template.format(etag=etag)})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert response.headers["cache-control"] == fresh.headers["cache-control"]
    assert response.headers["vary"] == fresh.headers["vary"]
    assert "content-type" not in response.headers


async def test_if_none_match_of_other_tags_gets_the_full_response(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, client = await make_app(engine)
    await add_skill(app, "Go")
    fresh = await client.get(SKILLS)

    response = await client.get(SKILLS, headers={"If-None-Match": '"0000", W/"1111"'})

    assert response.status_code == 200
    assert response.content == fresh.content
    assert response.headers["x-cache"] == "HIT"


async def test_304_on_a_miss_when_the_client_already_has_these_bytes(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, client = await make_app(engine)
    await add_skill(app, "Go")
    etag = (await client.get(SKILLS)).headers["etag"]
    _, other_instance = await make_app(engine)

    response = await other_instance.get(SKILLS, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.headers["x-cache"] == "MISS"


async def test_head_is_answered_from_the_same_entry_as_get(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, client = await make_app(engine)
    await add_skill(app, "Rust")

    head = await client.head(SKILLS)
    get = await client.get(SKILLS)
    conditional_head = await client.head(SKILLS, headers={"If-None-Match": get.headers["etag"]})

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["x-cache"] == "MISS"
    assert get.headers["x-cache"] == "HIT", "GET served from the entry HEAD stored"
    assert head.headers["etag"] == get.headers["etag"]
    assert int(head.headers["content-length"]) == len(get.content)
    assert conditional_head.status_code == 304


async def test_hit_inside_the_check_interval_runs_no_sql(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, client = await make_app(engine, cache_version_check_interval=3600)
    await add_skill(app, "SQL")
    with count_reads(app) as miss:
        await client.get(SKILLS)
    with count_reads(app) as hit:
        response = await client.get(SKILLS)
    with count_reads(app) as not_modified:
        conditional = await client.get(SKILLS, headers={"If-None-Match": response.headers["etag"]})

    assert response.headers["x-cache"] == "HIT"
    assert conditional.status_code == 304
    assert len(miss) == 2, "the version check and the stored documents, nothing rendered"
    assert hit == []
    assert not_modified == []


async def test_with_no_interval_a_hit_costs_exactly_the_version_query(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, client = await make_app(engine, cache_version_check_interval=0)
    await add_skill(app, "SQL")
    await client.get(SKILLS)
    with count_reads(app) as hit:
        response = await client.get(SKILLS)

    assert response.headers["x-cache"] == "HIT"
    assert len(hit) == 1
    assert re.search(r"select version from content_version where id = 1", hit[0], re.I)


async def test_a_write_through_this_instance_is_served_at_once(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, client = await make_app(engine, cache_version_check_interval=3600)
    await add_skill(app, "Python")
    before = await client.get(SKILLS)
    assert (await client.get(SKILLS)).headers["x-cache"] == "HIT"

    await add_skill(app, "Haskell")
    after = await client.get(SKILLS)

    assert after.headers["x-cache"] == "MISS"
    assert sorted(s["name"] for s in after.json()) == ["Haskell", "Python"]
    assert after.headers["etag"] != before.headers["etag"]
    assert int(after.headers["x-content-version"]) > int(before.headers["x-content-version"])


async def test_etag_changes_exactly_when_the_bytes_change(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, client = await make_app(engine)
    await add_skill(app, "Python")
    skills_before = await client.get(SKILLS)
    experience_before = await client.get(EXPERIENCE)

    await add_skill(app, "Elixir")  # a new content version, but /experience bytes are unchanged
    skills_after = await client.get(SKILLS)
    experience_after = await client.get(
        EXPERIENCE, headers={"If-None-Match": experience_before.headers["etag"]}
    )

    assert skills_after.headers["etag"] != skills_before.headers["etag"]
    assert experience_after.status_code == 304, "same bytes, same ETag, in the new version's set"
    assert experience_after.headers["x-cache"] == "HIT", "loaded with /skills of that version"
    assert int(experience_after.headers["x-content-version"]) > int(
        experience_before.headers["x-content-version"]
    )
    assert experience_after.headers["etag"] == experience_before.headers["etag"]


async def test_a_filter_is_derived_from_the_stored_list_in_memory(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, client = await make_app(engine)
    await add_skill(app, "Python", category="Languages")
    await add_skill(app, "Docker", category="Tools")

    everything = await client.get(SKILLS)
    with count_reads(app) as reads:
        languages = await client.get(SKILLS, params={"category": "Languages"})
        languages_again = await client.get(SKILLS, params={"category": "languages"})

    assert len(everything.json()) == 2
    assert [s["name"] for s in languages.json()] == ["Python"]
    assert reads == [], "derived from the /skills document this instance holds"
    assert languages.headers["x-cache"] == languages_again.headers["x-cache"] == "HIT"
    assert (
        languages.headers["etag"] == languages_again.headers["etag"] == make_etag(languages.content)
    )
    assert languages.headers["etag"] != everything.headers["etag"]


async def test_errors_are_never_cached(engine: AsyncEngine, make_app: AppFactory) -> None:
    app, client = await make_app(engine)

    missing = await client.get("/api/v1/personal-info")
    with count_reads(app) as reads:
        invalid = await client.get(SKILLS, params={"level": "high"})
    derived_after_errors = len(cache_of(app).derived)
    async with app.state.sessionmaker() as session, session.begin():
        session.add(Basics(name="Ada Lovelace"))
    found = await client.get("/api/v1/personal-info")

    assert missing.status_code == 404
    assert invalid.status_code == 422
    for response in (missing, invalid):
        assert "etag" not in response.headers
        assert "x-cache" not in response.headers
    assert reads == [], "a bad query is refused before any database work"
    assert derived_after_errors == 0
    assert found.status_code == 200
    assert found.json()["name"] == "Ada Lovelace"


async def test_writes_to_the_api_are_not_touched_by_the_cache(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    _, client = await make_app(engine)
    await client.get(SKILLS)

    response = await client.post(SKILLS, json={"name": "x"})

    assert response.status_code == 405
    assert "x-cache" not in response.headers


async def test_cors_headers_are_computed_per_request_not_cached(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, client = await make_app(engine, cors_origins=["https://cv.example"])
    await add_skill(app, "TypeScript")

    allowed = await client.get(SKILLS, headers={"Origin": "https://cv.example"})
    other = await client.get(SKILLS, headers={"Origin": "https://evil.example"})
    no_origin = await client.get(SKILLS)
    not_modified = await client.get(
        SKILLS, headers={"Origin": "https://cv.example", "If-None-Match": allowed.headers["etag"]}
    )

    assert allowed.headers["x-cache"] == "MISS"
    assert allowed.headers["access-control-allow-origin"] == "https://cv.example"
    assert other.headers["x-cache"] == "HIT"
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in no_origin.headers
    for response in (allowed, other, no_origin, not_modified):
        assert "Origin" in response.headers["vary"]
    assert not_modified.status_code == 304
    assert not_modified.headers["access-control-allow-origin"] == "https://cv.example"


async def test_any_origin_gets_the_wildcard_on_hits(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, client = await make_app(engine, cors_origins=["*"])
    await add_skill(app, "TypeScript")
    await client.get(SKILLS)

    hit = await client.get(SKILLS, headers={"Origin": "https://anywhere.example"})

    assert hit.headers["x-cache"] == "HIT"
    assert hit.headers["access-control-allow-origin"] == "*"


async def test_no_query_string_flood_evicts_a_document(
    engine: AsyncEngine, make_app: AppFactory
) -> None:
    app, client = await make_app(engine)
    await add_skill(app, "Python", category="Languages")
    await client.get(SKILLS)
    documents = set(cache_of(app).snapshot.responses)  # type: ignore[union-attr]

    with count_reads(app) as reads:
        for number in range(DERIVED_MAX_ENTRIES + 100):
            await client.get(SKILLS, params={"category": f"random-{number}"})

    assert reads == [], "every filter answered from memory"
    assert set(cache_of(app).snapshot.responses) == documents  # type: ignore[union-attr]
    assert len(cache_of(app).derived) == DERIVED_MAX_ENTRIES
    assert (await client.get(SKILLS)).headers["x-cache"] == "HIT"


async def test_health_reports_the_cache_state(engine: AsyncEngine, make_app: AppFactory) -> None:
    app, client = await make_app(engine)
    await add_skill(app, "Python")
    await client.get(SKILLS)
    await client.get(SKILLS)
    await client.get(SKILLS)

    async with make_sessionmaker(engine)() as session, session.begin():
        _, token = await create_token(
            session, name="health", scope="read-drafts", expires_in_days=None, actor="owner"
        )
    health = await client.get("/health", headers={"X-API-Key": token})  # the details: the owner's

    assert health.status_code == 200
    cache = health.json()["cache"]
    assert (cache["hits"], cache["misses"]) == (2, 1)
    assert cache["entries"] == len(cache_of(app).snapshot)  # type: ignore[arg-type]
    assert cache["hit_ratio"] == pytest.approx(2 / 3, abs=1e-3)
    assert cache["content_version"] >= 1
    assert cache["database"] == "ok"
    assert cache["last_check_age_seconds"] >= 0


def test_if_none_match_rules() -> None:
    etag = make_etag(b"{}")
    assert if_none_match(etag, etag)
    assert if_none_match(f"W/{etag}", etag)
    assert if_none_match(f'"a", {etag}', etag)
    assert if_none_match(" * ", etag)
    assert not if_none_match(None, etag)
    assert not if_none_match("", etag)
    assert not if_none_match(etag[:-2] + '"', etag)
    assert not if_none_match('"a", "b"', etag)
