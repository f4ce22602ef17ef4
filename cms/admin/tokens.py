"""The back office's "API tokens": the list (never a token or its hash), a create form that shows
the new token once, and a revoke action (POST only, like every change).

Every change goes through :mod:`cms.core.tokens`, which the ``cms token`` commands use too.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from markupsafe import Markup
from sqladmin import action, expose
from sqladmin.authentication import get_current_user_id
from sqlalchemy import select
from sqlmodel import col
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cms.admin.formatters import format_time, time_formatter
from cms.admin.views import CMSModelView
from cms.core.dburl import MAX_ID
from cms.core.models import ApiToken, as_utc, utcnow
from cms.core.tokenhash import READ_DRAFTS, SCOPES, WRITE_RESUME
from cms.core.tokens import MAX_EXPIRY_DAYS, TokenError, create_token, revoke_token

__all__ = ["ApiTokenAdmin", "SCOPE_HELP"]

logger = logging.getLogger(__name__)

SCOPE_HELP: dict[str, str] = {
    READ_DRAFTS: "Read the CV with its drafts (a preview build of the site).",
    WRITE_RESUME: "Replace the CV with a JSON Resume document (an import script).",
}
"""What each scope lets a program do, as the create form explains it."""

_COLUMNS = [
    "name",
    "scope",
    "prefix",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "created_by",
]


def _prefix_formatter(model: Any, _attribute: Any) -> Markup:
    return Markup("<code>{}…</code>").format(model.prefix)


def _expiry_formatter(model: Any, _attribute: Any) -> str:
    if model.expires_at is None:
        return "never"
    expired = as_utc(model.expires_at) <= utcnow()
    return f"{format_time(model.expires_at)}{' (expired)' if expired else ''}"


def _never_formatter(attr: str, empty: str) -> Any:
    def formatter(model: Any, _attribute: Any) -> str:
        return format_time(getattr(model, attr)) or empty

    return formatter


def _ids(raw: str) -> list[int]:
    """The selected rows' ids (``pks=3,5``); anything else is a 404, never a database error."""
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise HTTPException(status_code=404, detail="No such token.") from None
    if not ids or not all(1 <= pk <= MAX_ID for pk in ids):
        raise HTTPException(status_code=404, detail="No such token.")
    return ids


class ApiTokenAdmin(CMSModelView, model=ApiToken):
    """Tokens the owner gave programs: listed, created (shown once), revoked."""

    name = "API token"
    name_plural = "API tokens"
    icon = "fa-solid fa-plug"
    category = "Back office"
    can_create = False  # SQLAdmin's form would ask for a hash: ours makes the token
    create_page: ClassVar[str] = "new_token"
    """Where ``/admin/api-token/create`` sends the browser (:meth:`CMSAdmin.create`)."""
    can_edit = False
    can_delete = False  # revoked tokens stay listed, with their last use
    can_export = False
    list_template = "sqladmin/api_tokens.html"
    column_list: ClassVar[Any] = _COLUMNS
    column_details_list: ClassVar[Any] = _COLUMNS
    column_labels: ClassVar[dict[Any, str]] = {
        "prefix": "Starts with",
        "created_at": "Created",
        "expires_at": "Expires",
        "last_used_at": "Last used",
        "revoked_at": "Revoked",
        "created_by": "Created by",
    }
    column_formatters: ClassVar[dict[Any, Any]] = {
        "prefix": _prefix_formatter,
        "created_at": time_formatter("created_at"),
        "expires_at": _expiry_formatter,
        "last_used_at": _never_formatter("last_used_at", "never"),
        "revoked_at": _never_formatter("revoked_at", "no"),
    }
    column_formatters_detail: ClassVar[dict[Any, Any]] = column_formatters
    column_searchable_list: ClassVar[Any] = ["name"]
    column_sortable_list: ClassVar[Any] = [
        "name",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    column_default_sort: ClassVar[Any] = [("created_at", True)]

    # --- create: the token is in this one response and nowhere else -------------------

    @expose("/new", methods=["GET", "POST"])
    async def new_token(self, request: Request) -> Response:
        """The create form; POST makes the token and shows it once."""
        values = {"name": "", "scope": SCOPES[0], "expires_days": ""}
        if request.method != "POST":
            return await self._form_page(request, values)
        form = await request.form()
        values = {key: str(form.get(key) or "").strip() for key in values}
        try:
            days = int(values["expires_days"]) if values["expires_days"] else None
        except ValueError:
            return await self._form_page(request, values, "Expiry must be a whole number of days.")
        try:
            async with self.session_maker() as session, session.begin():
                row, token = await create_token(
                    session,
                    name=values["name"],
                    scope=values["scope"],
                    expires_in_days=days,
                    actor=str(get_current_user_id(request) or "unknown"),
                )
        except TokenError as exc:
            return await self._form_page(request, values, str(exc))
        logger.info("API token %r (%s) created", row.name, row.scope)
        context = {"title": self.name_plural, "view": self, "created": row, "token": token}
        return await self.templates.TemplateResponse(
            request, "sqladmin/api_token_new.html", context
        )

    async def _form_page(
        self, request: Request, values: dict[str, str], error: str | None = None
    ) -> Response:
        context = {
            "title": self.name_plural,
            "view": self,
            "values": values,
            "scopes": SCOPE_HELP,
            "max_days": MAX_EXPIRY_DAYS,
            "error": error,
        }
        return await self.templates.TemplateResponse(
            request, "sqladmin/api_token_new.html", context, status_code=400 if error else 200
        )

    # --- revoke: POST only (static/admin.js turns SQLAdmin's action links into POSTs) ----

    async def _revoke(self, request: Request) -> Response:
        if request.method != "POST":
            return await self._refuse_get(request, "Use the Revoke button of the list to do this.")
        form = await request.form()
        sent = form.get("pks")
        ids = _ids(sent if isinstance(sent, str) else request.query_params.get("pks", ""))
        actor = str(get_current_user_id(request) or "unknown")
        async with self.session_maker() as session, session.begin():
            names = list(
                (
                    await session.scalars(
                        select(col(ApiToken.name)).where(col(ApiToken.id).in_(ids))
                    )
                ).all()
            )
            if len(names) != len(set(ids)):
                raise HTTPException(status_code=404, detail="No such token.")
            revoked = [await revoke_token(session, name=name, actor=actor) for name in names]
        url = URL(str(request.url_for("admin:list", identity=self.identity)))
        outcome = "revoked" if any(revoked) else "unchanged"
        return RedirectResponse(url.include_query_params(outcome=outcome), status_code=302)

    @action(
        name="revoke",
        label="Revoke",
        confirmation_message="Revoke the selected tokens? Programs using them stop working.",
        add_in_detail=True,
        add_in_list=True,
    )
    async def revoke(self, request: Request) -> Response:
        """Revoke the selected tokens (a GET link is refused with 405)."""
        return await self._revoke(request)

    # SQLAdmin registers actions for GET only; the same path answers POST.
    @expose("/action/revoke", methods=["POST"])
    async def revoke_post(self, request: Request) -> Response:
        """Revoke the selected tokens: they stop working at once."""
        return await self._revoke(request)
