"""Passkeys in a real browser: Chromium's virtual authenticator (DevTools' WebAuthn domain).

The owner adds a passkey on the Passkeys page, logs out, and signs in with it alone: no
username, no password, the dashboard. WebAuthn refuses IP addresses as relying parties, so the
browser uses ``localhost`` (a secure context over plain HTTP) for the same server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.admin.browser import CHROMIUM, CHROMIUM_ARGS, OUTPUT, log_in, serving

playwright_api = pytest.importorskip("playwright.async_api")

AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
}


@pytest.fixture(scope="module")
def passkey_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own, reached as ``localhost``."""
    with serving(tmp_path_factory) as base:
        yield base.replace("127.0.0.1", "localhost")


async def test_register_a_passkey_and_sign_in_with_it_in_chromium(passkey_server: str) -> None:
    base = passkey_server
    OUTPUT.mkdir(exist_ok=True)
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            problems: list[str] = []

            def on_console(message: playwright_api.ConsoleMessage) -> None:
                # Refusals are deliberate here (a deleted passkey): their status lines are not.
                if message.type == "error" and not message.text.startswith("Failed to load"):
                    problems.append(message.text)

            page.on("console", on_console)
            page.on("pageerror", lambda error: problems.append(str(error)))
            cdp = await context.new_cdp_session(page)
            await cdp.send("WebAuthn.enable")
            added = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
            authenticator = added["authenticatorId"]
            expect = playwright_api.expect

            await log_in(page, base)
            await expect(page).to_have_url(f"{base}/admin/")

            # Register: name it, the authenticator answers, the list shows it.
            await page.goto(f"{base}/admin/passkeys")
            await expect(page.locator("#no-passkeys")).to_be_visible()
            await page.click("#passkey-add")  # without a name: refused in the page
            await expect(page.locator("#passkey-error")).to_contain_text("Give the passkey a name")
            await page.fill("#passkey-name", "Virtual authenticator")
            await page.click("#passkey-add")
            await expect(page.locator("#passkey-added")).to_be_visible()
            await expect(page.locator(".cms-passkey-name")).to_have_text("Virtual authenticator")
            stored = await cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
            (credential,) = stored["credentials"]
            assert credential["isResidentCredential"] and credential["rpId"] == "localhost"
            await page.screenshot(path=str(OUTPUT / "admin-passkeys.png"), full_page=True)

            # Log out, then sign in with the passkey alone.
            await page.get_by_role("link", name="Logout").click()
            await expect(page).to_have_url(f"{base}/admin/login")
            await page.click("#passkey-login")
            await expect(page).to_have_url(f"{base}/admin/")
            await expect(page.get_by_role("heading", name="Your CV")).to_be_visible()
            assert await page.locator("#password").count() == 0

            # The server saw the use: the list says when.
            await page.goto(f"{base}/admin/passkeys")
            await expect(page.locator("#passkeys tbody td").nth(2)).not_to_have_text("never")
            stored = await cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
            assert stored["credentials"][0]["signCount"] >= 1

            # Deleted on the server, the passkey no longer opens the back office.
            await page.click("#passkeys button[type=submit]")
            await expect(page.locator("#passkey-deleted")).to_be_visible()
            await page.get_by_role("link", name="Logout").click()
            await expect(page).to_have_url(f"{base}/admin/login")
            await page.click("#passkey-login")
            await expect(page.locator("#passkey-error")).to_have_text(
                "This passkey is not registered here."
            )
            await page.screenshot(path=str(OUTPUT / "admin-login-passkey.png"), full_page=True)
            await expect(page).to_have_url(f"{base}/admin/login")
        finally:
            await browser.close()
    assert problems == [], "passkeys work under the admin's CSP without console errors"
