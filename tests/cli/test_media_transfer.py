"""Backups carry the uploaded images; restore brings them back; imports drop the unused ones."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from cms.cli import app
from cms.content.models import Basics, Project
from cms.content.session import make_sessionmaker
from cms.core.db import create_engine
from cms.media.models import Media, MediaVariant
from tests.cli.helpers import write_document
from tests.databases import make_settings
from tests.media.helpers import add_with_image, photo, screenshot


def _on_database(database_url: str, work: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(make_settings(database_url))
        try:
            async with make_sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _with_images(database_url: str) -> None:
    async def add(session: Any) -> None:
        await add_with_image(session, Basics(name="Ada"), photo(), alt="Ada at her desk")
        draft = Project(name="Shop", slug="shop", is_published=False)
        await add_with_image(session, draft, screenshot(), alt="The checkout")

    _on_database(database_url, add)


def _stored(database_url: str) -> dict[str, Any]:
    async def read(session: Any) -> dict[str, Any]:
        basics = (await session.scalars(select(Basics))).first()
        projects = (await session.scalars(select(Project))).all()
        variants = (await session.scalars(select(MediaVariant))).all()
        return {
            "basics": basics and (basics.image_media_id, basics.image, basics.image_alt),
            "projects": [(p.image_media_id, p.image_url, p.image_alt) for p in projects],
            "media": sorted((await session.scalars(select(Media.id))).all()),
            "bytes": {(v.media_id, v.name): v.data for v in variants},
        }

    return _on_database(database_url, read)  # type: ignore[no-any-return]


def test_backup_carries_the_images_and_restore_gives_them_back(
    cms: CliRunner, database_url: str, tmp_path: Path
) -> None:
    _with_images(database_url)
    before = _stored(database_url)
    first = tmp_path / "first.json"
    assert cms.invoke(app, ["backup", str(first)]).exit_code == 0

    document = json.loads(first.read_text())
    images = document["meta"]["cmsMedia"]
    assert sorted(image["id"] for image in images) == sorted({photo().id, screenshot().id})
    carried = next(image for image in images if image["id"] == photo().id)
    assert [v["name"] for v in carried["variants"]] == ["full", "1280", "640", "320"]
    assert base64.b64decode(carried["variants"][0]["data"]) == photo().variants[0].data
    assert document["basics"]["image"] == f"/media/{photo().id}/full.webp"
    assert document["basics"]["imageAlt"] == "Ada at her desk"
    assert document["projects"][0]["image"] == f"/media/{screenshot().id}/full.webp"

    emptied = write_document(tmp_path, {"basics": {"name": "B"}}, "other.json")
    assert cms.invoke(app, ["import", str(emptied), "-y"]).exit_code == 0
    assert _stored(database_url)["media"] == []  # nothing shows them: gone with the import

    restored = cms.invoke(app, ["restore", str(first)])
    assert restored.exit_code == 0, restored.output
    assert _stored(database_url) == before
    second = tmp_path / "second.json"
    assert cms.invoke(app, ["backup", str(second)]).exit_code == 0
    assert second.read_bytes() == first.read_bytes()


def test_a_backup_whose_image_bytes_were_altered_is_refused(
    cms: CliRunner, database_url: str, tmp_path: Path
) -> None:
    _with_images(database_url)
    path = tmp_path / "backup.json"
    assert cms.invoke(app, ["backup", str(path)]).exit_code == 0
    document = json.loads(path.read_text())
    image = document["meta"]["cmsMedia"][0]
    data = bytearray(base64.b64decode(image["variants"][0]["data"]))
    data[-1] ^= 0xFF
    image["variants"][0]["data"] = base64.b64encode(bytes(data)).decode()
    before = _stored(database_url)

    refused = cms.invoke(app, ["restore", str(write_document(tmp_path, document, "bad.json"))])

    assert refused.exit_code == 1
    assert "$.meta.cmsMedia[0].variants: the full variant's bytes do not match" in refused.output
    assert _stored(database_url) == before


def test_an_export_names_the_images_and_importing_it_keeps_them(
    cms: CliRunner, database_url: str, tmp_path: Path
) -> None:
    _with_images(database_url)
    before = _stored(database_url)
    exported = cms.invoke(app, ["export", "--include-drafts"])
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.stdout)
    assert "cmsMedia" not in document.get("meta", {})  # an export carries no image bytes

    imported = cms.invoke(app, ["import", str(write_document(tmp_path, document)), "-y"])

    assert imported.exit_code == 0, imported.output
    assert _stored(database_url) == before


def test_export_does_not_warn_about_its_own_image_paths(cms: CliRunner, database_url: str) -> None:
    # Without PUBLIC_BASE_URL an uploaded image's URL is a path on this site (/media/…).
    _with_images(database_url)

    exported = cms.invoke(app, ["export"])

    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout)["basics"]["image"].startswith("/media/")
    assert "warning" not in exported.stderr
