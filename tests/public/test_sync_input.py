"""``PUT /api/v1/resume`` with odd input and odd servers: clear answers, nothing half-written."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from cms.content.jsonlimits import MAX_DEPTH
from cms.content.models import Basics, Work
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.models import ContentVersion
from cms.core.tokens import create_token
from tests.databases import make_settings

KEEP = 3  # BACKUP_RETENTION of these tests: small, so a few PUTs reach it


@pytest.fixture
def backup_dir(tmp_path: Path) -> Path:
    return tmp_path / "backups"


@pytest.fixture
def settings(database_url: str, backup_dir: Path) -> Settings:
    return make_settings(database_url, backup_dir=str(backup_dir), backup_retention=KEEP)


@pytest.fixture
async def bearer(engine: AsyncEngine) -> dict[str, str]:
    """A write-resume token's header, and a CV for each PUT to back up."""
    async with make_sessionmaker(engine)() as session, session.begin():
        _, token = await create_token(
            session, name="ci", scope="write-resume", expires_in_days=None, actor="owner"
        )
        session.add_all([Basics(name="Before"), Work(company="Kept Co", position="Engineer")])
    return {"Authorization": f"Bearer {token}"}


async def _state(engine: AsyncEngine) -> tuple[int, list[str]]:
    async with make_sessionmaker(engine)() as session:
        version = int(await session.scalar(select(col(ContentVersion.version))) or 0)
        companies = sorted((await session.scalars(select(col(Work.company)))).all())
    return version, [str(name) for name in companies]


def _cv(number: int = 0, **basics: Any) -> dict[str, Any]:
    return {
        "basics": {"name": f"Ada {number}", **basics},
        "work": [{"name": "Analytical Engines", "position": "Programmer", "startDate": "1842"}],
    }


# --- backups --------------------------------------------------------------------------


async def test_backups_are_private_and_only_the_newest_are_kept(
    client: httpx.AsyncClient, bearer: dict[str, str], backup_dir: Path
) -> None:
    names = []
    for number in range(KEEP + 2):
        response = await client.put(
            "/api/v1/resume", content=json.dumps(_cv(number)), headers=bearer
        )
        assert response.status_code == 200, response.text
        names.append(response.json()["backup"])

    kept = sorted(backup_dir.iterdir())
    assert [path.name for path in kept] == sorted(names[-KEEP:])
    assert stat.S_IMODE(backup_dir.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in kept} == {0o600}
    newest = json.loads((backup_dir / names[-1]).read_text(encoding="utf-8"))
    assert newest["basics"]["name"] == f"Ada {KEEP}"  # the CV the last PUT replaced


def _refuses_writes(directory: Path) -> bool:
    try:
        (directory / "probe").touch()
    except OSError:
        return True
    (directory / "probe").unlink()
    return False


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory no file can be created in (as on Lambda, where only /tmp is writable)."""
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        if _refuses_writes(directory):
            yield directory
        elif _refuses_writes(Path("/sys/fs")):  # permissions do not bind root; sysfs does
            yield Path("/sys/fs")
        else:
            pytest.skip("no directory here refuses new files")
    finally:
        directory.chmod(0o700)


async def test_a_backup_dir_that_cannot_be_written_is_no_database_outage(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    bearer: dict[str, str],
    settings: Settings,
    read_only_dir: Path,
) -> None:
    settings.backup_dir = str(read_only_dir)
    before = await _state(engine)

    response = await client.put("/api/v1/resume", content=json.dumps(_cv()), headers=bearer)

    assert response.status_code == 500
    assert response.json()["error"] == (
        "The current CV could not be backed up to BACKUP_DIR; nothing was written"
    )
    assert str(read_only_dir) not in response.text
    assert await _state(engine) == before
    assert (await client.get("/health")).status_code == 200


# --- one link rule ----------------------------------------------------------------------


async def test_script_and_data_links_are_refused_with_their_paths(
    engine: AsyncEngine, client: httpx.AsyncClient, bearer: dict[str, str]
) -> None:
    document = _cv(url="javascript:alert(document.cookie)")
    document["basics"]["profiles"] = [{"network": "X", "url": "JaVaScRiPt:alert(1)"}]
    document["projects"] = [{"name": "P", "url": "data:text/html,<script>alert(1)</script>"}]
    document["work"][0]["url"] = "missdirection.example.com"  # no scheme: a warning only
    before = await _state(engine)

    refused = await client.put("/api/v1/resume", content=json.dumps(document), headers=bearer)
    dry = await client.put(
        "/api/v1/resume?dry_run=true", content=json.dumps(document), headers=bearer
    )

    assert refused.status_code == dry.status_code == 422
    assert [detail["path"] for detail in refused.json()["details"]] == [
        "$.basics.url",
        "$.basics.profiles[0].url",
        "$.projects[0].url",
    ]
    assert "Links with the javascript: scheme are not allowed" in refused.text
    assert await _state(engine) == before

    del document["basics"]["url"], document["basics"]["profiles"], document["projects"]
    document["basics"]["email"] = "ada@example.com"
    document["basics"]["profiles"] = [{"network": "Phone", "url": "tel:+441234567890"}]
    accepted = await client.put("/api/v1/resume", content=json.dumps(document), headers=bearer)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["warnings"] == [
        {
            "path": "$.work[0].url",
            "message": "Must be an absolute http(s) URL, e.g. https://example.com.",
        }
    ]


# --- JSON limits ------------------------------------------------------------------------

ODD_JSON = {
    "1,000-deep arrays": (
        '{"basics": {"name": "A", "x": ' + "[" * 1000 + "]" * 1000 + "}}",
        "$.basics.x" + "[0]" * (MAX_DEPTH - 2),
        f"nested deeper than {MAX_DEPTH} levels",
    ),
    "a 5,000-digit number": (
        '{"basics": {"name": "A"}, "skills": [{"name": "Go", "rating": ' + "9" * 5000 + "}]}",
        "$.skills[0].rating",
        "a number of 5,000 characters; at most 40",
    ),
    "NUL in a string": (
        '{"basics": {"name": "A"}, "work": [{"name": "Acme\\u0000", "position": "Dev"}]}',
        "$.work[0].name",
        "contains a NUL character (\\u0000), which cannot be stored",
    ),
    "NUL in a name": (
        '{"basics": {"name": "A", "x\\u0000": 1}}',
        '$.basics["x\\u0000"]',
        "its name contains a NUL character (\\u0000), which cannot be stored",
    ),
    "a lone surrogate": (
        '{"basics": {"name": "A \\ud800"}}',
        "$.basics.name",
        "contains a lone surrogate",
    ),
    "NaN": ('{"basics": {"name": "A", "x": NaN}}', "$.basics.x", "NaN is not a JSON number"),
    "1e999": ('{"basics": {"name": "A", "x": 1e999}}', "$.basics.x", "1e999 is too large"),
}


@pytest.mark.parametrize(("body", "path", "message"), ODD_JSON.values(), ids=ODD_JSON.keys())
async def test_odd_json_is_a_422_with_its_path_and_writes_nothing(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    bearer: dict[str, str],
    body: str,
    path: str,
    message: str,
) -> None:
    before = await _state(engine)

    for query in ("?dry_run=true", ""):
        response = await client.put(f"/api/v1/resume{query}", content=body, headers=bearer)
        assert response.status_code == 422, response.text
        details = response.json()["details"]
        assert details[0]["path"] == path and details[0]["message"].startswith(message), details

    assert await _state(engine) == before
    async with make_sessionmaker(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(Work)) == 1
