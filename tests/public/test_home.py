"""``GET /``: a page that says where to go; ``/favicon.ico``: the app's icon."""

from __future__ import annotations

import re

import httpx

from cms.public.home import FAVICON_SVG


async def test_the_root_links_the_api_its_docs_the_cv_and_the_back_office(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/")
    head = await client.head("/")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert re.findall(r'href="([^"]+)"', page.text) == [
        "/favicon.ico",
        "/api/v1/resume",
        "/docs",
        "/cv",
        "/admin/",
    ]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert head.status_code == 200 and head.content == b""


async def test_the_icon_is_served(client: httpx.AsyncClient) -> None:
    icon = await client.get("/favicon.ico")
    head = await client.head("/favicon.ico")

    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.content == FAVICON_SVG
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(FAVICON_SVG))
