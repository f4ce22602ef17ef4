"""The back office's History of an entry and its Trash (:mod:`cms.content.history`).

**History** (``/admin/history/<section>/<id>``, linked from the entry's form): every version
that changed the entry, newest first, field by field, with "Restore this version" (a POST: one
new write, audited, :func:`cms.content.revert.restore_entry`). **Trash** (``/admin/trash``):
entries deleted in the last ``TRASH_DAYS`` days, each restorable as it was just before its
deletion. After a POST the page redirects with one of a fixed set of outcome codes (never free
text); a refused restore (a slug another entry took since) is shown on the page with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from markupsafe import Markup
from sqladmin import expose
from sqladmin.authentication import get_current_user_id
from sqladmin.helpers import slugify_class_name
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cms.admin.pages import AppPage
from cms.content.history import deleted_entries, entry_history, section_of
from cms.content.record import Section
from cms.content.revert import VersionError, restore_entry
from cms.content.sections import SECTIONS
from cms.content.write import WriteError
from cms.core.dburl import MAX_ID

__all__ = ["OUTCOMES", "EntryHistoryView", "TrashView", "history_link", "shown"]

OUTCOMES: dict[str, tuple[str, str]] = {
    "restored": ("success", "Restored: the entry is back as it was at that version."),
    "unchanged": ("info", "Nothing to restore: the entry already is as it was then."),
    "gone": ("warning", "That version of the entry is no longer in the history."),
}
"""Outcome code (in the redirect's query) → Bootstrap colour and message shown once."""


def shown(value: Any) -> str:
    """A field's value as the History page shows it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return (
            ", ".join(map(str, value))
            if all(not isinstance(v, dict) for v in value)
            else (json.dumps(value, ensure_ascii=False))
        )
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False) if value else "—"
    return str(value)


def history_link(obj: Any) -> Markup:
    """A template global: the "History" link of an entry's form (nothing for other rows)."""
    section = section_of(getattr(obj, "__tablename__", "")) if obj is not None else None
    if section is None or getattr(obj, "id", None) is None:
        return Markup("")
    return Markup(
        '<p class="cms-history-link"><a href="{}" id="history-link">'
        '<i class="fa-solid fa-clock-rotate-left me-1"></i>History</a> '
        "(earlier versions of this entry)</p>"
    ).format(f"../../history/{section.name}/{obj.id}")


def _username(request: Request) -> str:
    return str(get_current_user_id(request) or "unknown")


def _edit_url(request: Request, section: Section, entry_id: int) -> str:
    identity = slugify_class_name(section.table.__name__)
    return str(request.url_for("admin:edit", identity=identity, pk=entry_id))


def _label_of(section: Section) -> str:
    return section.admin.label


class EntryHistoryView(AppPage):
    """One entry's versions, field by field, each restorable."""

    name = "History"
    icon = "fa-solid fa-clock-rotate-left"

    def is_visible(self, request: Request) -> bool:
        """Reached from an entry's form, not from the menu."""
        return False

    @expose("/history/{section}/{entry_id:int}", methods=["GET", "POST"], identity="history")
    async def history_page(self, request: Request) -> Response:
        """Show the entry's versions; on POST, restore the version the form names."""
        section = SECTIONS.get(request.path_params["section"])
        if section is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        entry_id = int(request.path_params["entry_id"])
        if entry_id > MAX_ID:
            return Response("Not Found", status_code=404, media_type="text/plain")
        problem = None
        if request.method == "POST":
            form = await request.form()
            version = str(form.get("version", ""))
            if not (version.isascii() and version.isdigit()) or len(version) > 18:
                return Response("Bad Request", status_code=400, media_type="text/plain")
            try:
                async with self.sessionmaker() as session, session.begin():
                    changed = await restore_entry(
                        session,
                        section,
                        entry_id=entry_id,
                        version=int(version),
                        actor=_username(request),
                    )
            except VersionError:
                return self._back(request, section, entry_id, "gone")
            except WriteError as exc:
                problem = str(exc)
            else:
                outcome = "restored" if changed else "unchanged"
                return self._back(request, section, entry_id, outcome)
        async with self.sessionmaker() as session:
            changes = await entry_history(session, section, entry_id)
        code = request.query_params.get("outcome", "")
        exists = bool(changes) and changes[0].action != "delete"
        context = {
            "title": f"History: {_label_of(section)} #{entry_id}",
            "section": section,
            "entry_id": entry_id,
            "changes": changes,
            "shown": shown,
            "edit_url": _edit_url(request, section, entry_id) if exists else None,
            "outcome": OUTCOMES.get(code),
            "outcome_code": code if code in OUTCOMES else None,
            "problem": problem,
        }
        status = 409 if problem else 200
        response = await self.templates.TemplateResponse(request, "sqladmin/history.html", context)
        response.status_code = status
        return response

    def _back(self, request: Request, section: Section, entry_id: int, code: str) -> Response:
        found = request.url_for("admin:view-history", section=section.name, entry_id=entry_id)
        url = URL(str(found))
        return RedirectResponse(url.include_query_params(outcome=code), status_code=303)


TRASH_OUTCOMES: dict[str, tuple[str, str]] = {
    "restored": ("success", "Restored from the Trash."),
    "gone": ("warning", "That entry is no longer in the Trash."),
}


class TrashView(AppPage):
    """Entries deleted in the last ``TRASH_DAYS`` days, restorable."""

    name = "Trash"
    icon = "fa-solid fa-trash-can-arrow-up"

    @expose("/trash", methods=["GET", "POST"], identity="trash")
    async def trash_page(self, request: Request) -> Response:
        """List deleted entries; on POST, restore the one the form names."""
        problem = None
        if request.method == "POST":
            outcome, problem, restored = await self._restore(request)
            if problem is None:
                url = URL(str(request.url_for("admin:view-trash")))
                query: dict[str, Any] = {"outcome": outcome}
                if restored is not None:
                    query["entry"] = restored
                return RedirectResponse(url.include_query_params(**query), status_code=303)
        async with self.sessionmaker() as session:
            items = await deleted_entries(session, days=self.settings.trash_days)
        code = request.query_params.get("outcome", "")
        context = {
            "title": self.name,
            "items": items,
            "days": self.settings.trash_days,
            "history_url": self._history_url(request),
            "outcome": TRASH_OUTCOMES.get(code),
            "outcome_code": code if code in TRASH_OUTCOMES else None,
            "problem": problem,
        }
        response = await self.templates.TemplateResponse(request, "sqladmin/trash.html", context)
        response.status_code = 409 if problem else 200
        return response

    def _history_url(self, request: Request) -> Callable[[Any], str]:
        def url(item: Any) -> str:
            name = item.section.name
            found = request.url_for("admin:view-history", section=name, entry_id=item.entry_id)
            return str(found)

        return url

    async def _restore(self, request: Request) -> tuple[str, str | None, str | None]:
        form = await request.form()
        section = SECTIONS.get(str(form.get("section", "")))
        entry_id = str(form.get("entry_id", ""))
        wellformed = entry_id.isascii() and entry_id.isdigit() and len(entry_id) <= 10
        if section is None or not wellformed or int(entry_id) > MAX_ID:
            return "gone", None, None
        async with self.sessionmaker() as session:
            items = await deleted_entries(session, days=self.settings.trash_days)
        item = next(
            (i for i in items if i.section is section and i.entry_id == int(entry_id)), None
        )
        if item is None:
            return "gone", None, None
        try:
            async with self.sessionmaker() as session, session.begin():
                await restore_entry(
                    session,
                    section,
                    entry_id=item.entry_id,
                    version=item.version - 1,
                    actor=_username(request),
                )
        except VersionError:
            return "gone", None, None
        except WriteError as exc:
            return "", str(exc), None
        return "restored", None, f"{section.name}/{item.entry_id}"
