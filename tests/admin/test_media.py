"""Images through the back office: upload, refusals next to the field, preview, replace, remove,
and what the public read path serves afterwards (drafts' images are not served)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.content.models import Basics, Project
from cms.content.session import make_sessionmaker
from cms.media.models import Media, MediaVariant
from tests.admin.helpers import audit_entries, count, error_next_to, project_form
from tests.media.images import bomb_png, jpeg_photo, png_image, svg_with_script

BASICS_FORM = {
    "name": "Ada Lovelace",
    "label": "Analytical Engineer",
    "email": "",
    "phone": "",
    "url": "",
    "image": "",
    "image_alt": "Ada at her desk",
    "summary": "",
    "pronouns": "",
    "address": "",
    "postal_code": "",
    "city": "",
    "country_code": "",
    "region": "",
    "timezone": "",
    "save": "Save",
}


def _file(data: bytes, name: str = "me.jpg", kind: str = "image/jpeg") -> dict[str, Any]:
    return {"image_upload": (name, data, kind)}


async def _media(engine: AsyncEngine) -> list[Media]:
    async with make_sessionmaker(engine)() as session:
        return list((await session.scalars(select(Media).order_by(Media.id))).all())


async def _one(engine: AsyncEngine, model: type) -> Any:
    async with make_sessionmaker(engine)() as session:
        return (await session.scalars(select(model))).one()


async def _create_basics(client: httpx.AsyncClient, data: bytes, **form: str) -> httpx.Response:
    return await client.post(
        "/admin/basics/create", data={**BASICS_FORM, **form}, files=_file(data)
    )


async def test_an_uploaded_photo_is_stored_served_and_described_publicly(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    response = await _create_basics(admin_client, jpeg_photo((1600, 1200)))

    assert response.status_code == 302, error_next_to(response.text, "image_upload")
    basics = await _one(engine, Basics)
    (media,) = await _media(engine)
    assert basics.image_media_id == media.id and basics.image is None
    assert (media.width, media.height, media.published) == (1600, 1200, True)
    assert media.original_name == "me.jpg"
    assert await count(engine, MediaVariant) == 4

    info = (await admin_client.get("/api/v1/personal-info")).json()
    base = f"/media/{media.id}"
    assert info["image"] == {
        "url": f"{base}/full.webp",
        "width": 1600,
        "height": 1200,
        "alt": "Ada at her desk",
        "srcset": [
            {"url": f"{base}/320.webp", "width": 320},
            {"url": f"{base}/640.webp", "width": 640},
            {"url": f"{base}/1280.webp", "width": 1280},
            {"url": f"{base}/full.webp", "width": 1600},
        ],
        "placeholder": media.placeholder,
    }
    assert info["image_url"] == f"{base}/full.webp"

    served = await admin_client.get(f"{base}/640.webp")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/webp"
    assert served.content[:4] == b"RIFF" and served.content[8:12] == b"WEBP"
    (audit,) = [e for e in await audit_entries(engine) if e.table_name == "basics"]
    assert audit.changes["image_media_id"] == [None, media.id]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (svg_with_script(), "logo.svg", "SVG images are not accepted (they can carry scripts)"),
        (b"just some words", "holiday.jpg", "This file is not an image"),
        (bomb_png(), "bomb.png", "The image has too many pixels"),
        # Over MEDIA_MAX_BYTES (10 MB) but within the form's cap: explained next to the field.
        (b"\xff\xd8\xff" + bytes(21 * 512 * 1024), "huge.jpg", "The file is 10.5 MB; images"),
    ],
    ids=["svg", "text-renamed-jpg", "bomb", "10.5-megabytes"],
)
async def test_a_refused_file_is_explained_next_to_the_field_and_nothing_is_written(
    admin_client: httpx.AsyncClient, engine: AsyncEngine, data: bytes, name: str, message: str
) -> None:
    response = await admin_client.post(
        "/admin/basics/create", data=BASICS_FORM, files=_file(data, name)
    )

    assert response.status_code == 400
    (shown,) = error_next_to(response.text, "image_upload")
    assert shown.startswith(message), shown
    assert await count(engine, Basics) == 0
    assert await count(engine, Media) == 0


async def test_a_file_far_over_the_limit_is_a_413_page_naming_the_limit(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    huge = b"\xff\xd8\xff" + bytes(20 * 1024 * 1024)
    response = await admin_client.post(
        "/admin/basics/create", data=BASICS_FORM, files=_file(huge, "huge.jpg")
    )

    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "at most 11 MB (11,534,336 bytes)" in response.text
    assert await count(engine, Basics) == 0
    assert await count(engine, Media) == 0


async def test_an_upload_needs_a_description_and_other_problems_keep_the_file_refused(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    response = await _create_basics(admin_client, png_image(), image_alt="")

    assert response.status_code == 400
    assert error_next_to(response.text, "image_alt") == [
        "Image alt is required with an uploaded image: describe what it shows."
    ]
    assert error_next_to(response.text, "image_upload") == [
        "The image is fine: choose it again once the other fields are fixed."
    ]
    assert await count(engine, Media) == 0


async def test_an_upload_replaces_the_image_url_on_the_first_try(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # The sample CV gives its photo as a URL: choosing a file and saving shows the file at once.
    response = await _create_basics(admin_client, png_image(), image="https://ada.example/me.png")
    assert response.status_code == 302
    basics = await _one(engine, Basics)
    (media,) = await _media(engine)
    assert basics.image is None and basics.image_media_id == media.id

    edited = await admin_client.post(
        f"/admin/basics/edit/{basics.id}",
        data=BASICS_FORM | {"image": "https://ada.example/other.png"},
        files=_file(jpeg_photo((600, 400))),
    )
    assert edited.status_code == 302
    after = await _one(engine, Basics)
    assert after.image is None and after.image_media_id not in (None, media.id)
    public = (await admin_client.get("/api/v1/personal-info")).json()
    assert public["image"]["url"].endswith("/full.webp")


async def test_the_edit_page_previews_the_image_then_replace_and_remove_clean_up(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    assert (await _create_basics(admin_client, jpeg_photo((900, 600)))).status_code == 302
    basics = await _one(engine, Basics)
    (first,) = await _media(engine)

    page = (await admin_client.get(f"/admin/basics/edit/{basics.id}")).text
    (preview,) = re.findall(r'<img class="cms-image-preview" src="([^"]+)" alt="([^"]*)"', page)
    assert preview[0].endswith(f"/admin/basics/image/{first.id}")
    assert preview[1] == "Ada at her desk"
    assert 'name="image_remove"' in page and 'type="file"' in page
    shown = await admin_client.get(preview[0])
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/webp"
    details = (await admin_client.get(f"/admin/basics/details/{basics.id}")).text
    assert f'src="../image/{first.id}"' in details

    replaced = await admin_client.post(
        f"/admin/basics/edit/{basics.id}",
        data=BASICS_FORM | {"image_alt": "Ada, later"},
        files=_file(png_image((700, 700)), "new.png", "image/png"),
    )
    assert replaced.status_code == 302
    (second,) = await _media(engine)
    assert second.id != first.id  # the old image went with the write that replaced it
    assert (await _one(engine, Basics)).image_media_id == second.id
    assert (await admin_client.get(f"/media/{first.id}/full.webp")).status_code == 404

    kept = await admin_client.post(
        f"/admin/basics/edit/{basics.id}",
        data=BASICS_FORM | {"image_alt": "Ada, later", "summary": "Poet of numbers."},
        files=_file(b"", "", "application/octet-stream"),
    )
    assert kept.status_code == 302
    assert (await _one(engine, Basics)).image_media_id == second.id

    removed = await admin_client.post(
        f"/admin/basics/edit/{basics.id}",
        data=BASICS_FORM | {"image_remove": "1", "image_alt": ""},
        files=_file(b"", "", "application/octet-stream"),
    )
    assert removed.status_code == 302
    assert (await _one(engine, Basics)).image_media_id is None
    assert await _media(engine) == []
    assert await count(engine, MediaVariant) == 0
    assert (await admin_client.get("/api/v1/personal-info")).json()["image"] is None


async def test_an_image_only_a_draft_shows_is_not_served_until_published(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    form = project_form(is_published=None, image_alt="The dashboard")
    created = await admin_client.post(
        "/admin/project/create", data=form, files=_file(png_image(), "shot.png", "image/png")
    )
    assert created.status_code == 302
    project = await _one(engine, Project)
    (media,) = await _media(engine)
    assert not project.is_published and not media.published
    path = f"/media/{media.id}/full.webp"
    assert (await admin_client.get(path)).status_code == 404
    # The owner still sees it in the back office.
    assert (await admin_client.get(f"/admin/project/image/{media.id}")).status_code == 200

    published = await admin_client.post(
        "/admin/project/action/publish", data={"pks": str(project.id)}
    )
    assert published.status_code == 302
    assert (await _media(engine))[0].published
    assert (await admin_client.get(path)).status_code == 200
    (item,) = (await admin_client.get("/api/v1/projects")).json()
    assert item["image"]["alt"] == "The dashboard"
    assert item["image"]["url"] == path

    deleted = await admin_client.delete(f"/admin/project/delete?pks={project.id}")
    assert deleted.status_code == 200
    assert await _media(engine) == []
    assert (await admin_client.get(path)).status_code == 404


async def test_two_entries_share_one_upload_and_it_stays_while_one_shows_it(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    picture = png_image((640, 400))
    for slug in ("first", "second"):
        response = await admin_client.post(
            "/admin/project/create",
            data=project_form(slug=slug, name=slug, image_alt=f"The {slug} one"),
            files=_file(picture, "same.png", "image/png"),
        )
        assert response.status_code == 302
    (media,) = await _media(engine)
    async with make_sessionmaker(engine)() as session:
        first = (await session.scalars(select(Project).where(Project.slug == "first"))).one()

    assert (await admin_client.delete(f"/admin/project/delete?pks={first.id}")).status_code == 200

    assert [m.id for m in await _media(engine)] == [media.id]
    assert (await admin_client.get(f"/media/{media.id}/full.webp")).status_code == 200


async def test_the_preview_of_an_unknown_image_is_a_404(admin_client: httpx.AsyncClient) -> None:
    assert (await admin_client.get("/admin/basics/image/" + "0" * 32)).status_code == 404
    assert (await admin_client.get("/admin/basics/image/not-an-id")).status_code == 404
