"""The owner's back office at ``/admin`` (SQLAdmin).

The admin stack (SQLAdmin, WTForms, Jinja2, passlib, jose) costs import time that the
public API never needs, so :func:`mount_admin` mounts a small ASGI app that imports and
builds the real one on its first request (a cold Lambda serving ``/api`` never pays).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cms.admin.loginpage import ADMIN_PREFIX

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.types import ASGIApp, Receive, Scope, Send

    from cms.core.config import Settings

__all__ = ["LazyAdminApp", "mount_admin"]


class LazyAdminApp:
    """Builds the SQLAdmin app on first use; ``routes`` lets ``url_for('admin:…')`` work."""

    def __init__(self, *, engine: AsyncEngine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings
        self._app: Any = None

    @property
    def app(self) -> ASGIApp:
        """The real admin app, built now if needed."""
        if self._app is None:
            # Imported here: SQLAdmin, WTForms and the admin's modules load on the first /admin
            # request, not with every app (a Lambda serving the API never needs them).
            from cms.admin.site import build_admin_app

            self._app = build_admin_app(engine=self._engine, settings=self._settings)
        return self._app  # type: ignore[no-any-return]

    @property
    def routes(self) -> list[Any]:
        """The admin's routes once built (URL building only happens inside admin requests)."""
        return list(self._app.routes) if self._app is not None else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def mount_admin(app: FastAPI, *, engine: AsyncEngine, settings: Settings) -> None:
    """Serve the back office under ``/admin`` of ``app``."""
    app.mount(ADMIN_PREFIX, LazyAdminApp(engine=engine, settings=settings), name="admin")
