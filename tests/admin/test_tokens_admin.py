"""The back office's API tokens: no secrets listed, a new token shown once, revoked by POST."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from cms.admin.tokens import SCOPE_HELP
from cms.content.session import make_sessionmaker
from cms.core.models import ApiToken
from cms.core.tokenhash import READ_DRAFTS, SCOPES, WRITE_RESUME, token_hash
from cms.core.tokens import create_token
from tests.admin.browser import CHROMIUM, CHROMIUM_ARGS, log_in, serving
from tests.admin.helpers import OWNER, Owner, audit_entries, content_version

LIST = "/admin/api-token/list"
NEW = "/admin/api-token/new"
REVOKE = "/admin/api-token/action/revoke"


async def _tokens(engine: AsyncEngine) -> list[ApiToken]:
    async with make_sessionmaker(engine)() as session:
        return list((await session.scalars(select(ApiToken).order_by(col(ApiToken.id)))).all())


async def _made(engine: AsyncEngine, name: str = "deploy") -> tuple[ApiToken, str]:
    async with make_sessionmaker(engine)() as session, session.begin():
        return await create_token(
            session, name=name, scope=WRITE_RESUME, expires_in_days=None, actor="cli"
        )


def _shown_token(page: str) -> str:
    match = re.search(r'id="api-token-value"[^>]*value="([^"]+)"', page)
    assert match, page[-2000:]
    return html.unescape(match.group(1))


async def test_list_and_details_never_show_a_token_or_its_hash(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    row, token = await _made(engine)

    listing = await admin_client.get(LIST)
    details = await admin_client.get(f"/admin/api-token/details/{row.id}")

    for page in (listing, details):
        assert page.status_code == 200, page.text[:500]
        assert "deploy" in page.text and "write-resume" in page.text
        assert f"{row.prefix}…" in page.text
        assert token not in page.text and row.token_hash not in page.text
    assert 'href="http://testserver/admin/api-token/new"' in listing.text
    assert "+ New API token" in listing.text
    # SQLAdmin's own create, edit, delete and export are off: our create page makes the token,
    # and SQLAdmin's create address leads there; a POST to it is still refused.
    assert (await admin_client.get("/admin/api-token/create")).status_code == 302
    assert (await admin_client.post("/admin/api-token/create", data={})).status_code == 403
    assert (await admin_client.get(f"/admin/api-token/edit/{row.id}")).status_code == 403
    assert (await admin_client.get("/admin/api-token/export/csv")).status_code == 403


async def test_create_shows_the_new_token_once(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    version = await content_version(engine)
    form = await admin_client.get(NEW)

    created = await admin_client.post(
        NEW, data={"name": "astro-preview", "scope": READ_DRAFTS, "expires_days": "30"}
    )

    assert form.status_code == 200
    assert list(SCOPE_HELP) == list(SCOPES)  # the form offers every scope, each explained
    assert 'name="scope" value="read-drafts" checked' in form.text
    assert 'value="write-resume"' in form.text
    assert created.status_code == 200, created.text[:500]
    assert "no-store" in created.headers["cache-control"]
    assert "it is shown only once" in created.text
    token = _shown_token(created.text)
    [row] = await _tokens(engine)
    assert row.token_hash == token_hash(token)
    assert (row.name, row.scope, row.created_by) == ("astro-preview", READ_DRAFTS, OWNER)
    assert row.expires_at is not None
    [entry] = await audit_entries(engine)
    assert (entry.username, entry.action, entry.table_name) == (OWNER, "create", "api_tokens")
    assert await content_version(engine) == version  # tokens are not content
    listing = await admin_client.get(LIST)
    assert token not in listing.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"name": "deploy", "scope": READ_DRAFTS},
            "A token named &#39;deploy&#39; already exists.",
        ),
        (
            {"name": "other", "scope": "admin"},
            "Unknown scope &#39;admin&#39;: use one of read-drafts, write-resume.",
        ),
        ({"name": "two words", "scope": READ_DRAFTS}, "Token name must be 1–100 characters"),
        (
            {"name": "other", "scope": READ_DRAFTS, "expires_days": "soon"},
            "Expiry must be a whole number of days.",
        ),
        (
            {"name": "other", "scope": READ_DRAFTS, "expires_days": "9999"},
            "Expiry must be between 1 and 3650 days.",
        ),
    ],
)
async def test_create_refusals_keep_the_form_and_write_nothing(
    admin_client: httpx.AsyncClient, engine: AsyncEngine, data: dict[str, str], message: str
) -> None:
    await _made(engine, "deploy")

    response = await admin_client.post(NEW, data=data)

    assert response.status_code == 400
    assert message in response.text
    assert f'value="{data["name"]}"' in response.text  # what was typed stays
    assert 'id="api-token-value"' not in response.text
    assert [row.name for row in await _tokens(engine)] == ["deploy"]
    assert len(await audit_entries(engine)) == 1  # the create of "deploy" only


async def test_a_cross_site_create_is_refused(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    response = await admin_client.post(
        NEW,
        data={"name": "stolen", "scope": WRITE_RESUME},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )

    assert response.status_code == 403
    assert await _tokens(engine) == []


async def test_revoke_by_post_from_the_list_then_unchanged(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first, _ = await _made(engine, "deploy")
    second, _ = await _made(engine, "preview")

    listing = await admin_client.get(LIST)
    response = await admin_client.post(REVOKE, data={"pks": f"{first.id},{second.id}"})
    again = await admin_client.post(f"{REVOKE}?pks={first.id}")

    assert 'id="action-customconfirm-revoke"' in listing.text  # asks before revoking
    assert response.status_code == 302
    assert response.headers["location"].endswith(f"{LIST}?outcome=revoked")
    assert again.headers["location"].endswith(f"{LIST}?outcome=unchanged")
    assert all(row.revoked_at is not None for row in await _tokens(engine))
    revokes = [e for e in await audit_entries(engine) if e.action == "revoke"]
    assert sorted((e.username, e.record_label) for e in revokes) == [
        (OWNER, "deploy"),
        (OWNER, "preview"),
    ]
    shown = await admin_client.get(f"{LIST}?outcome=revoked")
    assert "Revoked: programs using these tokens are refused from now on." in shown.text


async def test_revoke_by_get_is_refused_and_changes_nothing(
    admin_client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    row, _ = await _made(engine)

    response = await admin_client.get(f"{REVOKE}?pks={row.id}")

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert [token.revoked_at for token in await _tokens(engine)] == [None]


@pytest.mark.parametrize("pks", ["999999", "abc", "", "99999999999"])
async def test_revoke_of_unknown_ids_is_a_404_and_changes_nothing(
    admin_client: httpx.AsyncClient, engine: AsyncEngine, pks: str
) -> None:
    row, _ = await _made(engine)

    response = await admin_client.post(REVOKE, data={"pks": f"{row.id},{pks}" if pks else ""})

    assert response.status_code == 404
    assert [token.revoked_at for token in await _tokens(engine)] == [None]


async def test_token_pages_need_a_login(client: httpx.AsyncClient, owner: Owner) -> None:
    for method, path in (("GET", LIST), ("GET", NEW), ("POST", NEW), ("POST", REVOKE)):
        response = await client.request(method, path)
        assert response.status_code == 302, (method, path)
        assert response.headers["location"].endswith("/admin/login")


# --- in Chromium: the create form and the confirmed revoke, through static/admin.js -------


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under uvicorn with an owner account (tests/admin/browser.py)."""
    with serving(tmp_path_factory) as base:
        yield base


async def test_create_then_revoke_in_chromium(live_server: str) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    base = live_server
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            # Script errors and CSP violations; not HTTP statuses (nobody serves /favicon.ico).
            page.on(
                "console",
                lambda message: (
                    errors.append(message.text)
                    if message.type == "error" and not message.text.startswith("Failed to load")
                    else None
                ),
            )
            expect = playwright_api.expect
            await log_in(page, base)
            await expect(page).to_have_url(f"{base}/admin/")

            await page.goto(f"{base}{LIST}")
            await page.click("#new-api-token")
            await page.fill("#name", "astro-preview")
            await page.check("input[name=scope][value=write-resume]")
            await page.fill("#expires_days", "7")
            await page.click("#api-token-create")
            await expect(page.locator("#api-token-once")).to_be_visible()
            token = await page.locator("#api-token-value").input_value()
            assert token.startswith("cms_")
            await page.click("#api-token-done")
            await expect(page).to_have_url(re.compile(r".*/admin/api-token/list$"))
            row = page.locator("tbody tr", has_text="astro-preview")
            await expect(row).to_contain_text("write-resume")
            revoked = row.locator("td").nth(-2)  # the last column says who created it
            await expect(revoked).to_have_text("no")
            assert token not in await page.content()

            # Revoking asks first, then the page's script POSTs the action.
            await row.locator("input.select-box").check()
            await page.locator("button.dropdown-toggle", has_text="Actions").click()
            await page.locator("#action-customconfirm-revoke").click()
            await page.locator("#action-custom-modal-revoke").click()
            await expect(page).to_have_url(f"{base}{LIST}?outcome=revoked")
            await expect(page.get_by_role("status")).to_contain_text("Revoked")
            await expect(revoked).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$"))
            assert errors == []
        finally:
            await browser.close()
