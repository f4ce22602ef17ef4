"""The public API's cold start never imports the admin stack."""

from __future__ import annotations

import subprocess
import sys

import httpx

ADMIN_STACK = ("sqladmin", "wtforms", "jinja2", "passlib", "jose", "cms.admin.site")

_PROBE = """
import sys
from cms.core.config import Settings
from cms.main import create_app
app = create_app(Settings(environment="test", database_url="sqlite+aiosqlite:///./unused.db"))
print(",".join(m for m in {stack!r} if m in sys.modules))
"""


def test_building_the_app_does_not_import_the_admin_stack() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(stack=ADMIN_STACK)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == ""


async def test_first_admin_request_builds_the_admin(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/login")
    assert response.status_code == 200
    assert "sqladmin" in sys.modules
