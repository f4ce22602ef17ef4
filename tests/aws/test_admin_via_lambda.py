"""The back office through the Lambda handler: login, cookie, links and statics under a stage."""

from __future__ import annotations

import importlib.resources
import re
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from cms.core.models import AdminUser
from cms.core.security import hash_password
from tests.aws import lambda_helpers as helpers
from tests.aws.lambda_helpers import Invoker

PASSWORD = "quiet ember orchard tango 1987"


@pytest.fixture
async def owner(session: AsyncSession) -> str:
    """An active admin account; returns its username."""
    session.add(AdminUser(username="owner", password_hash=hash_password(PASSWORD), is_active=True))
    await session.commit()
    return "owner"


def _host(kind: str) -> str:
    event = helpers.load_event(kind)
    headers = event.get("headers") or {}
    return {k.lower(): v for k, v in headers.items()}["host"]


@pytest.mark.parametrize("kind", ["rest_api_v1_stage", "http_api_v2_stage", "function_url"])
def test_admin_login_through_the_handler(invoke: Invoker, owner: str, kind: str) -> None:
    prefix = helpers.STAGED_KINDS.get(kind, "")
    host = _host(kind)
    page = invoke(kind, "GET", "/admin/login")
    assert page.status == 200, page.text[:300]
    assert f"{prefix}/admin/statics/" in page.text
    form_action = re.search(r'<form[^>]*action="([^"]*)"', page.text)
    assert (
        form_action is None
        or form_action.group(1) in ("", f"{prefix}/admin/login")
        or urlsplit(form_action.group(1)).path == f"{prefix}/admin/login"
    )

    body = urlencode({"username": owner, "password": PASSWORD}).encode()
    login = invoke(
        kind,
        "POST",
        "/admin/login",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"https://{host}",
            "Sec-Fetch-Site": "same-origin",
        },
    )
    assert login.status == 302, login.text[:300]
    location = urlsplit(login.headers["location"])
    assert location.path == f"{prefix}/admin/"
    # The session token and the device token (this browser's own login limit), nothing else.
    cookies = {c.split("=", 1)[0]: c for c in login.set_cookies}
    assert len(login.set_cookies) == 2
    assert set(cookies) == {"cms_admin_token", "cms_admin_device"}
    for cookie in cookies.values():
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        assert f"Path={prefix}/admin" in cookie
    cookie = cookies["cms_admin_token"]
    name, _, value = cookie.split(";")[0].partition("=")

    dashboard = invoke(kind, "GET", location.path.removeprefix(prefix), cookies={name: value})
    assert dashboard.status == 200, dashboard.text[:300]
    links = set(re.findall(r'href="([^"]+)"', dashboard.text))
    admin_links = [link for link in links if "/admin/" in link]
    assert admin_links, "the dashboard links to the admin views"
    assert all(urlsplit(link).path.startswith(f"{prefix}/admin/") for link in admin_links)

    anonymous = invoke(kind, "GET", "/admin/")
    assert anonymous.status in (302, 303)
    assert urlsplit(anonymous.headers["location"]).path == f"{prefix}/admin/login"


@pytest.mark.parametrize("kind", helpers.EVENT_KINDS)
def test_binary_statics_come_back_base64(invoke: Invoker, kind: str) -> None:
    import sqladmin

    font = importlib.resources.files(sqladmin) / "statics/webfonts/fa-solid-900.woff2"
    response = invoke(kind, "GET", "/admin/statics/webfonts/fa-solid-900.woff2")
    assert response.status == 200
    assert response.base64_encoded
    assert response.body == font.read_bytes()
    css = invoke(kind, "GET", "/admin/statics/css/main.css")
    assert css.status == 200 and not css.base64_encoded
