"""The back office's Versions page: the whole CV through its content versions.

``/admin/versions`` lists the versions (number, time, who, what changed); ``?from=A&to=B``
adds the difference of the JSON Resume document (drafts included) between the two;
``/admin/versions/<N>/restore`` lists what restoring the CV as of ``N`` changes and asks for
confirmation, and its POST backs the CV up and restores it as one new version, audited
(:func:`cms.content.revert.revert_with_backup`).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from sqladmin import expose
from sqladmin.authentication import get_current_user_id
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cms.admin.pages import AppPage
from cms.content.history import earliest_version, list_versions
from cms.content.revert import VersionError, changes_at, document_at, revert_with_backup
from cms.content.transfer import BackupError, changes, describe_changes
from cms.core.db import current_content_version

__all__ = ["OUTCOMES", "VersionRestoreView", "VersionsView", "document_diff"]

OUTCOMES: dict[str, tuple[str, str]] = {
    "restored": ("success", "Restored: the CV is as it was at that version, as a new version."),
    "unchanged": ("info", "Nothing was written: the CV already is as it was at that version."),
    "gone": ("warning", "That version is no longer in the history."),
}
"""Outcome code (in the redirect's query) → Bootstrap colour and message shown once."""

_LIMIT = 100


def document_diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    """The lines of a unified diff of two documents, each with its kind (add, remove, …)."""
    lines = difflib.unified_diff(
        json.dumps(old, indent=2, ensure_ascii=False).splitlines(),
        json.dumps(new, indent=2, ensure_ascii=False).splitlines(),
        lineterm="",
        n=3,
    )
    kinds = {"+": "add", "-": "remove", "@": "hunk"}
    found = []
    for line in list(lines)[2:]:  # past the "---"/"+++" header
        found.append((kinds.get(line[:1], "same"), line))
    return found


def _version(text: str | None) -> int | None:
    wellformed = text is not None and text.isascii() and text.isdigit() and len(text) < 19
    return int(text) if wellformed and text is not None else None


class VersionsView(AppPage):
    """Every content version: compare two, restore the CV as of one."""

    name = "Versions"
    icon = "fa-solid fa-code-compare"

    @expose("/versions", methods=["GET"], identity="versions")
    async def versions_page(self, request: Request) -> Response:
        """List the versions; with ``from`` and ``to``, show the difference between two."""
        async with self.sessionmaker() as session:
            versions = await list_versions(session, limit=_LIMIT)
            current = await current_content_version(session)
            earliest = await earliest_version(session)
        older = _version(request.query_params.get("from"))
        newer = _version(request.query_params.get("to"))
        diff = None
        problem = None
        if older is not None and newer is not None:
            try:
                engine = self.sessionmaker.kw["bind"]
                before = await document_at(engine, older, drafts=True)
                after = await document_at(engine, newer, drafts=True)
            except VersionError as exc:
                problem = str(exc)
            else:
                diff = {
                    "sections": describe_changes(changes(before, after)),
                    "lines": document_diff(before, after),
                }
        code = request.query_params.get("outcome", "")
        context = {
            "title": self.name,
            "versions": versions,
            "current": current,
            "earliest": earliest,
            "older": older,
            "newer": newer,
            "diff": diff,
            "problem": problem,
            "keep_days": self.settings.history_keep_days,
            "outcome": OUTCOMES.get(code),
            "outcome_code": code if code in OUTCOMES else None,
        }
        response = await self.templates.TemplateResponse(request, "sqladmin/versions.html", context)
        response.status_code = 404 if problem else 200
        return response


class VersionRestoreView(AppPage):
    """The confirmation of restoring the CV as of a version, and the restore (POST)."""

    name = "Restore a version"
    icon = "fa-solid fa-code-compare"

    def is_visible(self, request: Request) -> bool:
        """Reached from the Versions page, not from the menu."""
        return False

    @expose("/versions/{version:int}/restore", methods=["GET", "POST"], identity="version-restore")
    async def restore_page(self, request: Request) -> Response:
        """Confirm what restoring the CV as of a version changes; on POST, restore it."""
        version = int(request.path_params["version"])
        if request.method == "POST":
            return await self._restore(request, version)
        engine = self.sessionmaker.kw["bind"]
        try:
            lines = await changes_at(engine, version)
        except VersionError as exc:
            context = {"title": self.name, "version": version, "problem": str(exc), "lines": []}
            response = await self.templates.TemplateResponse(
                request, "sqladmin/version_restore.html", context
            )
            response.status_code = 404
            return response
        context = {"title": self.name, "version": version, "problem": None, "lines": lines}
        return await self.templates.TemplateResponse(
            request, "sqladmin/version_restore.html", context
        )

    async def _restore(self, request: Request, version: int) -> Response:
        username = str(get_current_user_id(request) or "unknown")
        try:
            async with self.sessionmaker() as session, session.begin():
                _backup, changed = await revert_with_backup(
                    session,
                    version=version,
                    backup_dir=Path(self.settings.backup_dir),
                    keep=self.settings.backup_retention,
                    actor=username,
                )
        except VersionError:
            outcome = "gone"
        except BackupError as exc:
            context = {"title": self.name, "version": version, "problem": str(exc), "lines": []}
            response = await self.templates.TemplateResponse(
                request, "sqladmin/version_restore.html", context
            )
            response.status_code = 500
            return response
        else:
            outcome = "restored" if changed else "unchanged"
        url = URL(str(request.url_for("admin:view-versions")))
        return RedirectResponse(url.include_query_params(outcome=outcome), status_code=303)
