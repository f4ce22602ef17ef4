"""Uploading images in a real browser: Playwright driving Debian's Chromium against uvicorn.

The owner uploads a phone photo on the personal-info form (a plain file input, no script),
sees it previewed on the edit page, finds it in the public API and at its ``/media`` URL without
its GPS position, is told why an SVG is refused, and removes the image again. Screenshots of
the form with its preview and with the refusal go to test-output/.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.admin.browser import CHROMIUM, CHROMIUM_ARGS, OUTPUT, log_in, serving
from tests.media.images import jpeg_photo, svg_with_script

playwright_api = pytest.importorskip("playwright.async_api")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server of the upload flow."""
    with serving(tmp_path_factory) as base:
        yield base


async def _personal_info(base: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=base) as api:
        response = await api.get("/api/v1/personal-info")
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


async def test_owner_uploads_previews_and_removes_a_photo_in_chromium(live_server: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    base = live_server
    photo = jpeg_photo((2400, 1600), orientation=6)
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            problems: list[str] = []
            page.on(
                "console",
                lambda m: (
                    problems.append(m.text)
                    if m.type == "error" and not m.text.startswith("Failed to load resource")
                    else None
                ),
            )
            page.on("pageerror", lambda error: problems.append(str(error)))
            expect = playwright_api.expect
            await log_in(page, base)

            # An SVG is refused next to the file field, and nothing is saved.
            await page.goto(f"{base}/admin/basics/create")
            await page.fill("#name", "Ada Lovelace")
            await page.fill("#image_alt", "Ada at her desk")
            await page.set_input_files(
                "#image_upload",
                files=[
                    {"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": svg_with_script()}
                ],
            )
            await page.click("input[type=submit][value='Save and continue editing']")
            refusal = page.locator(".cms-image ~ .invalid-feedback")
            await expect(refusal).to_contain_text("SVG images are not accepted")
            await page.screenshot(path=str(OUTPUT / "admin-image-refused.png"), full_page=True)

            # A phone photo, shot sideways: saved on the first try although the form still
            # names an image by URL (as the sample CV does: the upload replaces it), previewed
            # upright.
            await page.fill("#name", "Ada Lovelace")
            await page.fill("#image", "https://ada.example/images/ada.jpg")
            await page.fill("#image_alt", "Ada at her desk")
            await page.set_input_files(
                "#image_upload",
                files=[{"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": photo}],
            )
            await page.click("input[type=submit][value='Save and continue editing']")
            await expect(page).to_have_url(f"{base}/admin/basics/edit/1?outcome=saved")
            preview = page.locator("img.cms-image-preview")
            await expect(preview).to_be_visible()
            await expect(preview).to_have_attribute("alt", "Ada at her desk")
            await expect(page.locator("#image")).to_have_value("")
            width, height = await preview.evaluate("img => [img.naturalWidth, img.naturalHeight]")
            assert (width, height) == (320, 480), "the smallest variant, turned upright"
            await page.screenshot(path=str(OUTPUT / "admin-image-preview.png"), full_page=True)

            info = await _personal_info(base)
            image = info["image"]
            assert isinstance(image, dict)
            assert (image["width"], image["height"], image["alt"]) == (
                1600,
                2400,
                "Ada at her desk",
            )
            async with httpx.AsyncClient(base_url=base) as api:
                served = await api.get(str(image["url"]))
            assert served.status_code == 200
            assert served.headers["content-type"] == "image/webp"
            assert b"Exif" not in served.content and b"PhoneCo" not in served.content

            # Remove it: the public personal info has no image any more.
            await page.check("input[name=image_remove]")
            await page.fill("#image_alt", "")
            await page.click("input[type=submit][value='Save and continue editing']")
            await expect(page).to_have_url(f"{base}/admin/basics/edit/1?outcome=saved")
            await expect(page.locator("img.cms-image-preview")).to_have_count(0)
            assert (await _personal_info(base))["image"] is None
            async with httpx.AsyncClient(base_url=base) as api:
                assert (await api.get(str(image["url"]))).status_code == 404

            assert problems == []
        finally:
            await browser.close()
