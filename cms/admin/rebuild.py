"""The back office's "Rebuild site" page: where the build hooks stand, and a button.

GET shows :func:`cms.rebuild.rebuild_status` (hooks only as host plus hash: their URLs are
secrets). POST calls :func:`cms.rebuild.rebuild_now` inside the request, so it works on Lambda
where nothing may run after the response, then redirects back (POST/redirect/GET). There is no
session for SQLAdmin's flash messages (the JWT cookie is the only cookie), so the redirect
carries one of a fixed set of outcome codes, never free text.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqladmin import expose
from sqladmin.authentication import get_current_user_id
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cms.admin.pages import AppPage
from cms.core.config import Settings
from cms.core.models import AuditLog, utcnow
from cms.rebuild import RebuildResult, rebuild_now, rebuild_status, redact_hook_url

__all__ = ["OUTCOMES", "RebuildView"]

logger = logging.getLogger(__name__)

OUTCOMES: dict[str, tuple[str, str]] = {
    "success": ("success", "Rebuild started: every build hook accepted the request."),
    "partial": ("warning", "Rebuild partly started: some build hooks failed after retries."),
    "failed": ("danger", "Rebuild failed: no build hook accepted the request after retries."),
    "busy": ("info", "Another rebuild is running right now; reload this page in a moment."),
    "none": ("warning", "Nothing was rebuilt: no build hooks are configured."),
}
"""Outcome code (in the redirect's query) → Bootstrap colour and message shown once."""


def _outcome(result: RebuildResult, settings: Settings) -> str:
    if result.status != "skipped":
        return result.status
    return "busy" if settings.build_hook_urls else "none"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "never"


class RebuildView(AppPage):
    """State of the build hooks and a "Rebuild site now" button (POST)."""

    name = "Rebuild site"
    icon = "fa-solid fa-rocket"

    @expose("/rebuild", methods=["GET", "POST"], identity="rebuild")
    async def rebuild_page(self, request: Request) -> Response:
        """Show the rebuild state; on POST, call every build hook now and redirect back."""
        if request.method == "POST":
            return await self._rebuild(request)
        async with self.sessionmaker() as session:
            state = await rebuild_status(session)
        code = request.query_params.get("outcome", "")
        context: dict[str, Any] = {
            "title": self.name,
            "state": state,
            "hooks": [redact_hook_url(url) for url in self.settings.build_hook_urls],
            "debounce": self.settings.build_hook_debounce_seconds,
            "last_attempt": _when(state.last_attempt_at),
            "last_success": _when(state.last_success_at),
            "outcome": OUTCOMES.get(code),
            "outcome_code": code if code in OUTCOMES else None,
        }
        return await self.templates.TemplateResponse(request, "sqladmin/rebuild.html", context)

    async def _rebuild(self, request: Request) -> Response:
        username = str(get_current_user_id(request) or "unknown")
        async with self.sessionmaker() as session:
            result = await rebuild_now(session, self.settings, trigger="button")
            if result.status != "skipped":
                session.add(
                    AuditLog(
                        username=username,
                        action="rebuild",
                        table_name="rebuild_state",
                        record_label=f"content version {result.content_version}: {result.status}",
                        changes={"status": result.status, "reason": result.reason},
                        created_at=utcnow(),
                    )
                )
                await session.commit()
        logger.info("rebuild requested by %s: %s (%s)", username, result.status, result.reason)
        url = URL(str(request.url_for("admin:view-rebuild")))
        return RedirectResponse(
            url.include_query_params(outcome=_outcome(result, self.settings)), status_code=303
        )
