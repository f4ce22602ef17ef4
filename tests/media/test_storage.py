"""Both storage backends: bytes in the database, or in an S3 bucket (a local moto server)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content import write
from cms.content.models import Basics, Project
from cms.content.sections import SECTIONS
from cms.content.session import make_sessionmaker
from cms.core.config import Settings
from cms.core.db import create_engine
from cms.main import create_app
from cms.media.models import Media, MediaVariant
from cms.media.storage import DatabaseStorage, S3Storage, media_storage, read_variant
from tests.databases import make_settings
from tests.media.helpers import add_with_image, photo, screenshot


async def _variants(engine: AsyncEngine) -> list[MediaVariant]:
    async with make_sessionmaker(engine)() as session:
        statement = select(MediaVariant).order_by(MediaVariant.media_id, MediaVariant.name)
        return list((await session.scalars(statement)).all())


async def _media_ids(engine: AsyncEngine) -> list[str]:
    async with make_sessionmaker(engine)() as session:
        return list((await session.scalars(select(Media.id))).all())


def _keys(s3: Any, bucket: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


async def test_the_database_backend_keeps_the_bytes_in_the_variants_rows(
    engine: AsyncEngine,
) -> None:
    image = photo()
    assert isinstance(media_storage(engine), DatabaseStorage)
    async with make_sessionmaker(engine)() as session:
        await add_with_image(session, Basics(name="Ada"), image)

    stored = await _variants(engine)
    assert {v.name: v.data for v in stored} == {v.name: v.data for v in image.variants}
    assert {v.name: v.etag for v in stored} == {v.name: v.etag for v in image.variants}
    async with make_sessionmaker(engine)() as session:
        assert await read_variant(session, image.id, "320") == image.variants[-1].data
        assert await read_variant(session, image.id, "nope") is None
        media = await session.get(Media, image.id)
    assert media is not None
    assert (media.width, media.height, media.stored_bytes) == (1600, 1200, image.stored_bytes)


async def test_the_s3_backend_uploads_with_cache_headers_and_keeps_only_rows_in_the_database(
    s3_engine: AsyncEngine, s3: Any, bucket: str
) -> None:
    image = photo()
    assert isinstance(media_storage(s3_engine), S3Storage)
    async with make_sessionmaker(s3_engine)() as session:
        await add_with_image(session, Basics(name="Ada"), image)

    assert _keys(s3, bucket) == sorted(f"cv/{image.id}/{v.name}.webp" for v in image.variants)
    stored = s3.get_object(Bucket=bucket, Key=f"cv/{image.id}/640.webp")
    assert stored["ContentType"] == "image/webp"
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"
    assert stored["Body"].read() == next(v.data for v in image.variants if v.name == "640")
    assert all(variant.data is None for variant in await _variants(s3_engine))
    async with make_sessionmaker(s3_engine)() as session:
        assert await read_variant(session, image.id, "full") == image.variants[0].data


async def test_the_read_path_serves_variants_from_the_bucket(
    s3_engine: AsyncEngine, s3_settings: Settings
) -> None:
    image = screenshot()
    async with make_sessionmaker(s3_engine)() as session:
        await add_with_image(session, Basics(name="Ada"), image)
    app = create_app(s3_settings, s3_engine)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get(f"/media/{image.id}/320.webp")
            info = (await client.get("/api/v1/personal-info")).json()
    finally:
        await app.database.close()

    assert response.status_code == 200
    assert response.content == image.variants[-1].data
    assert response.headers["etag"] == image.variants[-1].etag
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert info["image"]["url"] == f"/media/{image.id}/full.webp"  # no CDN: served by the app


async def test_with_a_cdn_the_documents_point_at_it(
    s3_settings: Settings, engine: AsyncEngine
) -> None:
    settings = s3_settings.model_copy(
        update={"media_public_base_url": "https://img.example.net/", "public_base_url": "https://x"}
    )
    cdn_engine = create_engine(settings)
    image = screenshot()
    try:
        async with make_sessionmaker(cdn_engine)() as session:
            await add_with_image(session, Project(name="Shop", slug="shop"), image)
        app = create_app(settings, cdn_engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            (project,) = (await client.get("/api/v1/projects")).json()
        await app.database.close()
    finally:
        await cdn_engine.dispose()

    cdn = f"https://img.example.net/cv/{image.id}"
    assert project["image"]["url"] == f"{cdn}/full.webp"
    assert [s["url"] for s in project["image"]["srcset"]] == [
        f"{cdn}/320.webp",
        f"{cdn}/full.webp",
    ]


async def test_deleting_the_last_entry_deletes_the_objects_after_the_commit(
    s3_engine: AsyncEngine, s3: Any, bucket: str
) -> None:
    image = screenshot()
    async with make_sessionmaker(s3_engine)() as session:
        project = await add_with_image(session, Project(name="Shop", slug="shop"), image)
        shared = await add_with_image(session, Project(name="Blog", slug="blog"), image)
    assert len(_keys(s3, bucket)) == 2

    async with make_sessionmaker(s3_engine)() as session, session.begin():
        await session.delete(await session.get(Project, project.id))
    assert len(_keys(s3, bucket)) == 2  # the blog still shows it

    async with make_sessionmaker(s3_engine)() as session, session.begin():
        await session.delete(await session.get(Project, shared.id))
    assert _keys(s3, bucket) == []
    assert await _media_ids(s3_engine) == []


async def test_a_failed_delete_in_the_bucket_is_logged_and_the_write_stands(
    s3_engine: AsyncEngine,
    database_url: str,
    bucket: str,
    s3: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    image = screenshot()
    async with make_sessionmaker(s3_engine)() as session:
        project = await add_with_image(session, Project(name="Shop", slug="shop"), image)
    # The same database, but the bucket is out of reach (nothing listens on port 9).
    unreachable = create_engine(
        make_settings(
            database_url,
            media_storage="s3",
            media_s3_bucket=bucket,
            media_s3_prefix="cv/",
            media_s3_endpoint_url="http://127.0.0.1:9",
        )
    )
    try:
        with caplog.at_level(logging.WARNING, logger="cms.media.storage"):
            async with make_sessionmaker(unreachable)() as session, session.begin():
                await session.delete(await session.get(Project, project.id))
    finally:
        await unreachable.dispose()

    assert await _media_ids(s3_engine) == []  # the rows went with the write
    assert len(_keys(s3, bucket)) == 2  # the objects stayed, and the log says so
    (record,) = [r for r in caplog.records if r.name == "cms.media.storage"]
    assert f"could not delete 1 image(s) from bucket {bucket}" in record.getMessage()
    assert image.id in record.getMessage()


async def test_unpublishing_and_deleting_keep_the_published_flag_and_the_rows_right(
    engine: AsyncEngine,
) -> None:
    image = screenshot()
    async with make_sessionmaker(engine)() as session:
        project = await add_with_image(session, Project(name="Shop", slug="shop"), image)

    async def published() -> bool:
        async with make_sessionmaker(engine)() as session:
            media = await session.get(Media, image.id)
            assert media is not None
            return media.published

    assert await published()
    async with make_sessionmaker(engine)() as session, session.begin():
        await write.set_published(
            session, SECTIONS["projects"], ids=[project.id], published=False, actor="test"
        )
    assert not await published()
    async with make_sessionmaker(engine)() as session, session.begin():
        await session.execute(delete(Project))
    assert await _media_ids(engine) == []
    assert await _variants(engine) == []
