"""``/media/<id>/<variant>.webp`` on the read path, and images in the public documents."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cms.content import write
from cms.content.basics import BASICS
from cms.content.jsonresume import export_resume
from cms.content.models import Basics, Project
from cms.content.sections import SECTIONS
from cms.content.session import make_sessionmaker
from tests.media.helpers import add_with_image, photo, screenshot
from tests.public.cache_helpers import AppFactory

IMMUTABLE = "public, max-age=31536000, immutable"


def _path(media_id: str, variant: str = "full") -> str:
    return f"/media/{media_id}/{variant}.webp"


async def test_a_variant_is_served_immutable_with_a_strong_etag(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    image = photo()
    await add_with_image(session, Basics(name="Ada"), image)
    variant = next(v for v in image.variants if v.name == "640")

    first = await client.get(_path(image.id, "640"))

    assert first.status_code == 200
    assert first.content == variant.data
    assert first.headers["content-type"] == "image/webp"
    assert first.headers["content-length"] == str(len(variant.data))
    assert first.headers["cache-control"] == IMMUTABLE
    assert first.headers["etag"] == variant.etag and not variant.etag.startswith("W/")
    assert first.headers["x-content-type-options"] == "nosniff"
    assert first.headers["x-cache"] == "MISS"
    again = await client.get(_path(image.id, "640"))
    assert again.headers["x-cache"] == "HIT" and again.content == variant.data

    revalidated = await client.get(_path(image.id, "640"), headers={"If-None-Match": variant.etag})
    assert revalidated.status_code == 304
    assert revalidated.content == b""
    assert revalidated.headers["etag"] == variant.etag
    assert revalidated.headers["cache-control"] == IMMUTABLE

    head = await client.head(_path(image.id, "640"))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(variant.data))


@pytest.mark.parametrize(
    "path",
    [
        "/media",
        "/media/",
        "/media/" + "0" * 32 + "/full.webp",  # no such image
        "/media/{id}/1280.webp",  # a 500 px image has no 1280 variant
        "/media/{id}/full.png",
        "/media/{id}/full.webp/extra",
        "/media/{ID}/full.webp",
    ],
)
async def test_anything_else_under_media_is_a_404(
    client: httpx.AsyncClient, session: AsyncSession, path: str
) -> None:
    image = screenshot()
    await add_with_image(session, Basics(name="Ada"), image)

    response = await client.get(path.format(id=image.id, ID=image.id.upper()))

    assert response.status_code == 404
    assert response.json()["status_code"] == 404


async def test_writes_are_refused(client: httpx.AsyncClient, session: AsyncSession) -> None:
    image = screenshot()
    await add_with_image(session, Basics(name="Ada"), image)

    response = await client.post(_path(image.id), content=b"x")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


async def test_an_image_only_a_draft_shows_is_a_404_until_it_is_published(
    client: httpx.AsyncClient, session: AsyncSession, engine: AsyncEngine
) -> None:
    image = screenshot()
    project = await add_with_image(
        session, Project(name="Shop", slug="shop", is_published=False), image
    )

    assert (await client.get(_path(image.id))).status_code == 404

    async with make_sessionmaker(engine)() as writer, writer.begin():
        await write.set_published(
            writer, SECTIONS["projects"], ids=[project.id], published=True, actor="test"
        )
    served = await client.get(_path(image.id))
    assert served.status_code == 200

    async with make_sessionmaker(engine)() as writer, writer.begin():
        await write.set_published(
            writer, SECTIONS["projects"], ids=[project.id], published=False, actor="test"
        )
    assert (await client.get(_path(image.id))).status_code == 404


async def test_the_public_image_object_of_an_upload_and_of_a_url(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    image = screenshot()
    await add_with_image(
        session, Project(name="Shop", slug="shop", sort_order=0), image, alt="The checkout"
    )
    session.add(
        Project(name="Blog", slug="blog", sort_order=1, image_url="https://b.example/b.png")
    )
    await session.commit()

    shop, blog = (await client.get("/api/v1/projects")).json()

    assert shop["image"] == {
        "url": _path(image.id),
        "width": 500,
        "height": 300,
        "alt": "The checkout",
        "srcset": [
            {"url": _path(image.id, "320"), "width": 320},
            {"url": _path(image.id), "width": 500},
        ],
        "placeholder": image.placeholder,
    }
    assert shop["image_url"] == _path(image.id)
    assert blog["image"] == {
        "url": "https://b.example/b.png",
        "width": None,
        "height": None,
        "alt": None,
        "srcset": [],
        "placeholder": None,
    }
    detail = (await client.get("/api/v1/projects/shop")).json()
    assert detail["image"] == shop["image"]


async def test_urls_are_absolute_under_public_base_url_and_the_resume_names_the_largest(
    make_app: AppFactory, database_url: str, engine: AsyncEngine
) -> None:
    from cms.core.db import create_engine
    from tests.databases import make_settings

    # An engine of its own (the suite's one cleans the tables afterwards): its settings
    # decide the URLs the writes render.
    settings = make_settings(database_url, public_base_url="https://cms.example.com/")
    absolute = create_engine(settings)
    try:
        _, client = await make_app(absolute, public_base_url="https://cms.example.com/")
        image = photo()
        async with make_sessionmaker(absolute)() as session:
            await add_with_image(session, Basics(name="Ada"), image, alt="Ada")

        info = (await client.get("/api/v1/personal-info")).json()
        full = f"https://cms.example.com/media/{image.id}/full.webp"
        assert info["image"]["url"] == full
        assert [s["url"] for s in info["image"]["srcset"]][0] == (
            f"https://cms.example.com/media/{image.id}/320.webp"
        )
        resume = (await client.get("/api/v1/resume")).json()
        assert resume["basics"]["image"] == full
        assert resume["basics"]["imageAlt"] == "Ada"
        async with make_sessionmaker(absolute)() as session:
            assert (await export_resume(session))["basics"]["image"] == full
    finally:
        await absolute.dispose()


def test_the_openapi_schema_describes_the_image_object() -> None:
    from cms.main import create_full_app
    from tests.databases import make_settings

    schema: dict[str, Any] = create_full_app(make_settings("sqlite:///:memory:")).openapi()
    components = schema["components"]["schemas"]
    image = components["ImagePublic"]
    assert set(image["properties"]) == {"url", "width", "height", "alt", "srcset", "placeholder"}
    assert set(image["required"]) == {"url", "width", "height", "alt", "srcset", "placeholder"}
    info = components[BASICS.public.__name__]["properties"]
    assert info["image_url"]["deprecated"] is True
    assert "ImagePublic" in str(info["image"])
    project = components["ProjectPublic"]["properties"]
    assert project["image_url"]["deprecated"] is True
