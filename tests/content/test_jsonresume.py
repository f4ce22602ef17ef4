"""JSON Resume import and export against the official v1.0.0 schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from cms.content.dates import DatePrecision
from cms.content.jsonresume import (
    SCHEMA_PATH,
    ResumeValidationError,
    check_resume,
    export_resume,
    import_resume,
    schema_problems,
    validate_resume,
)
from cms.content.models import (
    Basics,
    Project,
    Technology,
    Work,
)
from cms.content.seeding import SEED_DIR
from cms.content.session import make_sessionmaker
from cms.core.db import current_content_version
from cms.core.models import ContentVersion, as_utc
from tests.content.documents import (
    SCHEMA_COPY,
    content_counts,
    content_state,
    full_document,
    official_validator,
    without_last_modified,
)

# sha256 of schema.json in the npm tarball resume-schema@1.0.0 (see schema/LICENSE.md).
OFFICIAL_SCHEMA_SHA256 = "ff6e39e79cfe6dedddf7c1e313ddb4da346bde8b055a884d7f6d849965dc27a6"


async def _import(engine: AsyncEngine, document: Any) -> str:
    async with make_sessionmaker(engine)() as session, session.begin():
        return await import_resume(session, document, actor="test")


async def _export(engine: AsyncEngine, **options: bool) -> dict[str, Any]:
    """The export, less ``meta.lastModified`` (checked: the time of the last content change)."""
    async with make_sessionmaker(engine)() as session:
        exported = await export_resume(session, **options)
        changed = await session.scalar(select(ContentVersion.updated_at))
    if exported:
        assert changed is not None
        stamp = exported["meta"].pop("lastModified")
        assert stamp == as_utc(changed).strftime("%Y-%m-%dT%H:%M:%S")
        if not exported["meta"]:
            del exported["meta"]
    return exported


def _seed() -> dict[str, Any]:
    return json.loads((SEED_DIR / "resume.json").read_text(encoding="utf-8"))


# --- the schema ------------------------------------------------------------------------


def test_schema_copies_are_the_official_v1_schema() -> None:
    copy = SCHEMA_COPY.read_bytes()
    assert hashlib.sha256(copy).hexdigest() == OFFICIAL_SCHEMA_SHA256
    assert SCHEMA_PATH.read_bytes() == copy
    schema = json.loads(copy)
    # v1.0.0 shapes (0.x had "bio", "hobbies", "website"): partial ISO dates, projects, meta.
    assert schema["definitions"]["iso8601"]["pattern"].startswith("^([1-2][0-9]{3}-")
    assert {"basics", "projects", "certificates", "meta"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    assert (SCHEMA_COPY.parent / "LICENSE.md").read_text().count("MIT License") == 1


# --- round trip ------------------------------------------------------------------------


async def test_import_then_export_gives_the_document_back(engine: AsyncEngine) -> None:
    document = full_document()
    assert official_validator().is_valid(document)

    summary = await _import(engine, document)

    assert await _export(engine) == without_last_modified(document)
    assert summary.startswith("1 basics, 2 profiles, 2 work, 1 volunteer, 1 education")
    assert summary.endswith("1 projects, 5 technologies")


async def test_partial_dates_keep_their_precision(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    await _import(engine, full_document())

    jobs = (await session.scalars(select(Work).order_by(col(Work.sort_order)))).all()

    assert [(job.start_date.isoformat(), job.start_precision) for job in jobs] == [  # type: ignore[union-attr]
        ("2021-06-01", DatePrecision.month),
        ("2018-01-01", DatePrecision.year),
    ]
    assert jobs[1].end_date is not None
    assert (jobs[1].end_date.isoformat(), jobs[1].end_precision) == (
        "2021-05-31",
        DatePrecision.day,
    )
    assert jobs[0].end_date is None


async def test_import_stores_rows_in_document_order_with_extras(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    await _import(engine, full_document())

    basics = (await session.scalars(select(Basics))).one()
    work = (await session.scalars(select(Work).order_by(col(Work.sort_order)))).all()
    project = (await session.scalars(select(Project))).one()
    technologies = (await session.scalars(select(col(Technology.name)))).all()

    assert basics.email == "ze@Example.COM"  # as written, not normalised
    assert (basics.pronouns, basics.timezone) == ("they/them", "Europe/Lisbon")
    assert basics.location_extra == {"neighbourhood": "Alfama"}
    assert basics.extra["availability"] == {"from": "2025-09", "remote": True, "days": [1, 2, 3]}
    assert basics.meta["$document"] == {"$schema": full_document()["$schema"]}
    assert basics.meta["meta"]["theme"] == "elegant"
    assert [(job.company, job.sort_order) for job in work] == [("Acme", 0), ("Beta Corp", 1)]
    assert work[0].extra == {"teamSize": 7, "manager": {"name": "Ana", "since": 2022}}
    assert (project.slug, project.is_featured, project.extra) == (
        "ledgerline",
        True,
        {"stars": 1900},
    )
    # "Python" is one shared technology although three items list it.
    assert sorted(technologies) == ["AWS Lambda", "Docker", "Kafka", "PostgreSQL", "Python"]


async def test_import_replaces_previous_content(engine: AsyncEngine, session: AsyncSession) -> None:
    await _import(engine, full_document())
    python_id = await session.scalar(
        select(col(Technology.id)).where(col(Technology.name) == "Python")
    )
    smaller = {
        "basics": {"name": "Someone Else"},
        "work": [{"name": "Gamma", "keywords": ["Rust", "Python"]}],
        "skills": [{"name": "Rust"}],
    }

    summary = await _import(engine, smaller)

    assert await _export(engine) == without_last_modified(smaller)
    assert summary == "1 basics, 1 work, 1 skills, 2 technologies"
    counts = await content_counts(session)
    assert counts["projects"] == counts["profiles"] == counts["education"] == 0
    # Technologies are reused by name (stable ids) and unused ones are gone.
    names = (
        await session.scalars(select(col(Technology.name)).order_by(col(Technology.name)))
    ).all()
    assert names == ["Python", "Rust"]
    assert await session.scalar(
        select(col(Technology.id)).where(col(Technology.name) == "Python")
    ) == (python_id)


async def test_empty_document_empties_the_cv(engine: AsyncEngine, session: AsyncSession) -> None:
    await _import(engine, full_document())

    assert await _import(engine, {}) == "an empty CV"

    assert await _export(engine) == {}
    assert set((await content_counts(session)).values()) == {0}


async def test_one_import_bumps_the_content_version_once(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    before = await current_content_version(session)

    await _import(engine, full_document())

    assert await current_content_version(session) == before + 1


async def test_defaults_and_missing_slugs_are_normalised_empty_strings_kept(
    engine: AsyncEngine,
) -> None:
    document = {
        "basics": {"name": "N", "image": "", "location": {}, "profiles": []},
        "work": [{"name": "A", "highlights": [], "keywords": [], "url": ""}],
        "skills": [{"name": "S", "featured": False, "published": True, "rating": 4}],
        "projects": [
            {"name": "Café Ünïcode!"},
            {"name": "Café Ünïcode"},
            {"name": "Taken", "slug": "cafe-unicode-2"},
            {"name": "!!!"},
        ],
    }

    await _import(engine, document)

    assert await _export(engine) == {
        "basics": {"name": "N", "image": ""},  # "" is what the owner wrote: it comes back
        "work": [{"name": "A", "url": ""}],
        "skills": [{"name": "S", "rating": 4}],
        "projects": [
            {"name": "Café Ünïcode!", "slug": "cafe-unicode"},
            {"name": "Café Ünïcode", "slug": "cafe-unicode-3"},
            {"name": "Taken", "slug": "cafe-unicode-2"},
            {"name": "!!!", "slug": "project"},
        ],
    }


# --- drafts ----------------------------------------------------------------------------


async def test_drafts_are_not_exported(engine: AsyncEngine) -> None:
    document = full_document()
    document["basics"]["profiles"][1]["published"] = False
    document["work"][0]["published"] = False
    document["projects"][0]["published"] = False
    document["skills"][1]["published"] = False

    await _import(engine, document)
    public = await _export(engine)
    everything = await _export(engine, include_drafts=True)

    assert [p["network"] for p in public["basics"]["profiles"]] == ["GitHub"]
    assert [w["name"] for w in public["work"]] == ["Beta Corp"]
    assert "projects" not in public
    assert [s["name"] for s in public["skills"]] == ["Python"]
    assert "AWS Lambda" not in json.dumps(public)  # only the draft job used it
    assert everything == without_last_modified(document)
    assert schema_problems(public) == []


# --- the seed --------------------------------------------------------------------------


async def test_seed_export_is_valid_against_the_official_schema(engine: AsyncEngine) -> None:
    seed = _seed()

    await _import(engine, seed)
    public = await _export(engine)

    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in official_validator().iter_errors(public)
    ]
    assert errors == []
    assert await _export(engine, include_drafts=True) == without_last_modified(seed)
    assert len(public["work"]) >= 10 and len(public["skills"]) >= 20
    assert all(
        not item.get("published", True) for item in seed["work"] if item not in public["work"]
    )


def test_seed_is_rich_and_fictional() -> None:
    seed = _seed()
    for section in (
        "work", "volunteer", "education", "awards", "certificates", "publications",
        "skills", "languages", "interests", "references", "projects",
    ):  # fmt: skip
        assert seed[section], section
    assert len(seed["work"]) >= 10
    assert all(job.get("keywords") for job in seed["work"])
    assert len(seed["projects"]) >= 6
    assert sum(bool(p.get("featured")) for p in seed["projects"]) >= 2
    assert len(seed["skills"]) >= 20
    assert all(
        s.get("category") and s.get("rating") and "yearsExperience" in s for s in seed["skills"]
    )
    assert sum(bool(s.get("featured")) for s in seed["skills"]) >= 2
    drafts = [
        i for s in ("work", "projects", "skills") for i in seed[s] if i.get("published") is False
    ]
    assert len(drafts) >= 3
    assert {p["network"] for p in seed["basics"]["profiles"]} >= {"GitHub", "LinkedIn"}
    text = json.dumps(seed)
    hosts = {
        url.split("/")[2].split("@")[-1]
        for url in _strings(seed)
        if url.startswith(("http://", "https://"))
    }
    emails = [s for s in _strings(seed) if "@" in s and " " not in s and "://" not in s]
    assert hosts and all(h.endswith((".example.com", ".example.org")) for h in hosts), hosts
    assert all(e.rsplit("@", 1)[1].endswith(("example.com", "example.org")) for e in emails)
    assert "Ada Quill" in text
    assert validate_resume(seed) == []


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


# --- refused documents -----------------------------------------------------------------


def _with(change: Any) -> dict[str, Any]:
    document = full_document()
    change(document)
    return document


INVALID = {
    "not an object": ([], "$", "is not of type 'object'"),
    "javascript: URL": (
        _with(lambda d: d["basics"].__setitem__("url", "javascript:alert(1)")),
        "$.basics.url",
        "Links with the javascript: scheme are not allowed: use https, http, mailto or tel.",
    ),
    "javascript: URL in mixed case with a tab": (
        _with(lambda d: d["basics"]["profiles"][0].__setitem__("url", " JaVa\tScRiPt:alert(1)")),
        "$.basics.profiles[0].url",
        "Links with the javascript: scheme are not allowed",
    ),
    "data: URL": (
        _with(lambda d: d["projects"][0].__setitem__("url", "data:text/html,<script>x</script>")),
        "$.projects[0].url",
        "Links with the data: scheme are not allowed",
    ),
    "ftp URL": (
        _with(lambda d: d["certificates"][0].__setitem__("url", "ftp://certs.example.com/x")),
        "$.certificates[0].url",
        "Links with the ftp: scheme are not allowed",
    ),
    "wrong type": (
        _with(lambda d: d["basics"].__setitem__("phone", 5)),
        "$.basics.phone",
        "5 is not of type 'string'",
    ),
    "section not a list": (
        _with(lambda d: d.__setitem__("work", {"name": "Acme"})),
        "$.work",
        "is not of type 'array'",
    ),
    "date pattern": (
        _with(lambda d: d["work"][1].__setitem__("startDate", "May 2018")),
        "$.work[1].startDate",
        "not a date in the form YYYY, YYYY-MM or YYYY-MM-DD",
    ),
    "impossible date": (
        _with(lambda d: d["volunteer"][0].__setitem__("endDate", "2019-02-30")),
        "$.volunteer[0].endDate",
        "not a real date",
    ),
    "end before start": (
        _with(lambda d: d["education"][0].__setitem__("endDate", "2009-08")),
        "$.education[0].endDate",
        "End date must not be before start date.",
    ),
    "rating out of range": (
        _with(lambda d: d["skills"][0].__setitem__("rating", 9)),
        "$.skills[0].rating",
        "Input should be less than or equal to 5.",
    ),
    "extension of the wrong type": (
        _with(lambda d: d["projects"][0].__setitem__("featured", "yes")),
        "$.projects[0].featured",
        "'yes' is not of type 'boolean'",
    ),
    "unknown top-level property": (
        _with(lambda d: d.__setitem__("hobbies", [])),
        "$.hobbies",
        "unknown property",
    ),
    "certificate date is a full date": (
        _with(lambda d: d["certificates"][0].__setitem__("date", "2021-03")),
        "$.certificates[0].date",
        "not a full date (YYYY-MM-DD)",
    ),
    "missing name our models need": (
        _with(lambda d: d["work"][0].pop("name")),
        "$.work[0].name",
        "is required",
    ),
    "too long for the column": (
        _with(lambda d: d["basics"]["location"].__setitem__("postalCode", "9" * 21)),
        "$.basics.location.postalCode",
        "at most 20 characters",
    ),
    "invalid slug": (
        _with(lambda d: d["projects"][0].__setitem__("slug", "Not A Slug")),
        "$.projects[0].slug",
        "Use lower-case letters, digits and single hyphens",
    ),
    "duplicate slug": (
        _with(lambda d: d["projects"].append({"name": "Copy", "slug": "ledgerline"})),
        "$.projects[1].slug",
        "already the slug of $.projects[0]",
    ),
    "technology listed twice": (
        _with(lambda d: d["work"][0]["keywords"].append("Python")),
        "$.work[0].keywords[3]",
        "listed twice",
    ),
    "infinite years (json.loads reads Infinity)": (
        _with(lambda d: d["skills"][0].__setitem__("yearsExperience", float("inf"))),
        "$.skills[0].yearsExperience",
        "finite number",
    ),
    "meta without basics": (
        _with(lambda d: d.pop("basics")),
        "$.meta",
        "needs a basics section",
    ),
}


# Values themes render but our rules would not accept from the admin: kept, with a warning.
KEPT_WITH_A_WARNING = {
    "bad email": (
        _with(lambda d: d["basics"].__setitem__("email", "ze@")),
        "$.basics.email",
        "Value is not a valid email address",
    ),
    "relative URL": (
        _with(lambda d: d["projects"][0].__setitem__("url", "ledgerline.example.com")),
        "$.projects[0].url",
        "Must be an absolute http(s) URL",
    ),
    "mailto link": (
        _with(lambda d: d["projects"][0].__setitem__("url", "mailto:")),
        "$.projects[0].url",
        "A mailto: link needs an address",
    ),
}


@pytest.mark.parametrize(
    ("document", "path", "message"), KEPT_WITH_A_WARNING.values(), ids=KEPT_WITH_A_WARNING.keys()
)
async def test_format_problems_are_warnings_and_the_value_is_kept(
    engine: AsyncEngine, document: Any, path: str, message: str
) -> None:
    checked = check_resume(document)
    assert checked.problems == []
    assert any(w.path == path and w.message.startswith(message) for w in checked.warnings), (
        checked.warnings
    )

    await _import(engine, document)

    assert await _export(engine, include_drafts=True) == without_last_modified(document)


async def test_the_official_sample_imports_and_round_trips(engine: AsyncEngine) -> None:
    sample = json.loads((SCHEMA_COPY.parent / "sample.resume.json").read_text(encoding="utf-8"))
    checked = check_resume(sample)
    assert checked.problems == []
    assert [str(w) for w in checked.warnings] == [
        "$.basics.image: Empty: kept as written (themes read it as no value).",
        "$.basics.profiles[0].url: Empty: kept as written (themes read it as no value).",
        "$.projects[0].url: Must be an absolute http(s) URL, e.g. https://example.com.",
    ]

    await _import(engine, sample)

    exported = await _export(engine, include_drafts=True)
    added_slug = {**sample["projects"][0], "slug": "miss-direction"}  # our extension
    assert exported == without_last_modified({**sample, "projects": [added_slug]})


@pytest.mark.parametrize(("document", "path", "message"), INVALID.values(), ids=INVALID.keys())
async def test_invalid_documents_write_nothing(
    engine: AsyncEngine, session: AsyncSession, document: Any, path: str, message: str
) -> None:
    previous = {"basics": {"name": "Kept"}, "work": [{"name": "Kept Co", "keywords": ["Go"]}]}
    await _import(engine, previous)
    before = await content_state(session)

    with pytest.raises(ResumeValidationError) as raised:
        await _import(engine, document)

    problems = [(p.path, p.message) for p in raised.value.problems]
    assert any(p == path and message in m for p, m in problems), problems
    assert await content_state(session) == before
    assert await _export(engine) == without_last_modified(previous)


def test_every_problem_is_reported_in_document_order_once() -> None:
    document = full_document()
    document["basics"]["email"] = "nope"
    document["work"][0]["startDate"] = "2021-13"
    document["work"][1]["endDate"] = "2017"  # before its start, 2018
    document["skills"][1]["rating"] = "3"  # wrong type: reported by the schema only
    document["projects"][0]["githubUrl"] = "github.example.com/ze"

    problems = [str(problem) for problem in validate_resume(document)]

    assert problems == [
        "$.work[0].startDate: '2021-13' is not a real date (month must be in 1..12)",
        "$.work[1].endDate: End date must not be before start date.",
        "$.skills[1].rating: '3' is not of type 'integer'",
    ]
    # Formats themes ignore are kept as written and reported, in document order, as warnings.
    assert [str(warning) for warning in check_resume(document).warnings] == [
        "$.basics.email: Value is not a valid email address: An email address must have an @-sign.",
        "$.projects[0].githubUrl: Must be an absolute http(s) URL, e.g. https://example.com.",
    ]


def test_paths_quote_keys_that_are_not_identifiers() -> None:
    problems = validate_resume({"$schema": 5, "basics": {"name": "N"}})

    assert [p.path for p in problems] == ['$["$schema"]']
