"""Error pages of the back office: every failure is an HTML page, never SQLAdmin's bare text.

SQLAdmin's Starlette app answers unhandled errors itself (``500 text/plain``) before the main
app's handlers see them; :class:`cms.admin.guard.AdminGuard` catches them first and renders
these pages: 503 with ``Retry-After`` while the database is unavailable (the rule of
:mod:`cms.core.outage`), 500 otherwise, and 400 for requests the back office refuses to read
(control characters, unknown hosts).
"""

from __future__ import annotations

import logging

from sqladmin.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Scope

from cms.core.outage import is_database_unavailable, retry_after_headers

__all__ = ["ErrorPages"]

logger = logging.getLogger(__name__)


class ErrorPages:
    """Renders the admin's error page (``templates/sqladmin/error.html``) outside SQLAdmin."""

    def __init__(self) -> None:
        self.templates: Jinja2Templates | None = None
        """Set once SQLAdmin has built its templates (after the guard is configured)."""

    async def page(
        self,
        scope: Scope,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """The error page for ``status`` with ``message`` (plain HTML if templates fail too)."""
        response: Response
        try:
            assert self.templates is not None
            context = {"status_code": status, "message": message}
            response = await self.templates.TemplateResponse(
                Request(scope), "sqladmin/error.html", context, status_code=status
            )
        except Exception:  # the page must render even when the templates cannot
            logger.exception("the admin error page could not be rendered")
            response = HTMLResponse(
                f"<!DOCTYPE html><title>{status}</title><h1>{status}</h1><p>{message}</p>",
                status_code=status,
            )
        response.headers.update(headers or {})
        return response

    async def for_exception(self, scope: Scope, exc: Exception) -> Response:
        """503 (database unavailable) or 500, each logged as one line."""
        method, path = scope.get("method", ""), scope.get("path", "")
        if is_database_unavailable(exc):
            logger.warning("database unavailable on %s %s: %s", method, path, type(exc).__name__)
            return await self.page(
                scope,
                503,
                "The database is unavailable right now. Nothing was changed; try again shortly.",
                retry_after_headers(),
            )
        logger.error("unhandled error on %s %s", method, path, exc_info=exc)
        return await self.page(scope, 500, "Something went wrong on our side; please try again.")
