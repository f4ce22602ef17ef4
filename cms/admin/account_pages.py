"""The owner's own security pages: open sessions (revoke, log out everywhere) and two-factor login.

Both act on the logged-in account only, change state by POST only (behind the cross-site guard)
and answer POST with a redirect or a page that is shown once (a new secret, recovery codes).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, ClassVar, cast

from markupsafe import Markup
from sqladmin import BaseView, expose
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cms.admin import sessions as admin_sessions
from cms.admin import totp
from cms.core.encryption import DecryptionError
from cms.core.models import AdminUser, AuditLog, utcnow

__all__ = ["SessionsView", "TwoFactorView", "account_views"]

logger = logging.getLogger(__name__)


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _audit(username: str, action: str, label: str) -> AuditLog:
    return AuditLog(
        username=username,
        action=action,
        table_name="admin_users",
        record_label=label,
        created_at=utcnow(),
    )


class _AccountView(BaseView):
    category = "Back office"
    sessionmaker: ClassVar[async_sessionmaker[AsyncSession]]

    @staticmethod
    def _user_id(request: Request) -> int:
        return int(request.state.admin_user_id)

    async def _form_value(self, request: Request, name: str) -> str:
        form = await request.form()
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""


class SessionsView(_AccountView):
    """Where the owner is logged in; end one session, or all of them."""

    name = "Sessions"
    icon = "fa-solid fa-laptop"

    @expose("/sessions", methods=["GET", "POST"], identity="sessions")
    async def sessions_page(self, request: Request) -> Response:
        """List the owner's sessions; POST ``revoke=KEY`` ends one, ``everywhere`` ends all."""
        user_id = self._user_id(request)
        current = request.state.admin_session_key
        if request.method == "POST":
            return await self._end(request, user_id, current)
        async with self.sessionmaker() as session:
            rows = await admin_sessions.list_sessions(session, user_id)
        items = [
            {
                "key": row.id,
                "created": _when(row.created_at),
                "last_seen": _when(row.last_seen_at),
                "client": row.client,
                "user_agent": row.user_agent,
                "current": row.id == current,
            }
            for row in rows
        ]
        context: dict[str, Any] = {"title": self.name, "items": items}
        context["ended"] = request.query_params.get("ended") == "1"
        return await self.templates.TemplateResponse(request, "sqladmin/sessions.html", context)

    async def _end(self, request: Request, user_id: int, current: str) -> Response:
        everywhere = bool(await self._form_value(request, "everywhere"))
        key = await self._form_value(request, "revoke")
        username = str(request.state.admin_username)
        async with self.sessionmaker() as session:
            if everywhere:
                await admin_sessions.end_sessions(session, user_id)
                session.add(_audit(username, "logout", "every session ended"))
            elif await admin_sessions.end_session(session, user_id=user_id, key=key):
                session.add(_audit(username, "logout", "a session revoked"))
            await session.commit()
        if everywhere or key == current:
            return RedirectResponse(request.url_for("admin:login"), status_code=303)
        url = URL(str(request.url_for("admin:view-sessions"))).include_query_params(ended="1")
        return RedirectResponse(url, status_code=303)


class TwoFactorView(_AccountView):
    """Set up, check and turn off two-factor login (TOTP) for the logged-in account."""

    name = "Two-factor login"
    icon = "fa-solid fa-key"

    @expose("/two-factor", methods=["GET", "POST"], identity="two-factor")
    async def two_factor_page(self, request: Request) -> Response:
        """Show the state; POST ``action`` = start, confirm, recovery or disable (with ``code``)."""
        async with self.sessionmaker() as session:
            user = await session.get(AdminUser, self._user_id(request))
            assert user is not None  # authenticate() found it a moment ago
            if request.method != "POST":
                return await self._status(request, session, user)
            action = await self._form_value(request, "action")
            code = await self._form_value(request, "code")
            if action == "start" and not user.totp_enabled:
                secret = totp.begin_enrolment(session, user)
                await session.commit()
                return await self._enrol(request, user, secret)
            if action == "confirm" and not user.totp_enabled and user.totp_secret is not None:
                codes = await totp.confirm_enrolment(session, user, code)
                if codes is None:
                    try:
                        secret = totp.secret_of(session, user)
                    except DecryptionError:  # SECRET_KEY changed since "start"
                        return await self._status(
                            request, session, user, error="That set-up expired: start again."
                        )
                    await session.commit()
                    return await self._enrol(request, user, secret, error="That code is not right.")
                session.add(_audit(user.username, "update", "two-factor login enabled"))
                await session.commit()
                return await self._codes(request, codes)
            if action in {"recovery", "disable"} and user.totp_enabled:
                if not await totp.check_code(session, user, code):
                    await session.commit()
                    return await self._status(
                        request, session, user, error="That code is not right."
                    )
                if action == "disable":
                    await totp.disable(session, user)
                    session.add(_audit(user.username, "update", "two-factor login disabled"))
                    await session.commit()
                    return await self._status(
                        request, session, user, notice="Two-factor login is off."
                    )
                codes = await totp.new_recovery_codes(session, user)
                await session.commit()
                return await self._codes(request, codes)
            return await self._status(request, session, user, error="Nothing to do.")

    async def _status(
        self,
        request: Request,
        session: AsyncSession,
        user: AdminUser,
        *,
        error: str | None = None,
        notice: str | None = None,
    ) -> Response:
        context = {
            "title": self.name,
            "step": "status",
            "enabled": user.totp_enabled,
            "codes_left": await totp.recovery_codes_left(session, user) if user.totp_enabled else 0,
            "error": error,
            "notice": notice,
        }
        status = 400 if error else 200
        return await self.templates.TemplateResponse(
            request, "sqladmin/two_factor.html", context, status_code=status
        )

    async def _enrol(
        self, request: Request, user: AdminUser, secret: str, error: str | None = None
    ) -> Response:
        uri = totp.provisioning_uri(user, secret)
        context = {
            "title": self.name,
            "step": "enrol",
            "secret": secret,
            "qr": Markup(totp.qr_svg(uri)),  # noqa: S704 - segno's own SVG, no user input
            "error": error,
        }
        return await self.templates.TemplateResponse(
            request, "sqladmin/two_factor.html", context, status_code=400 if error else 200
        )

    async def _codes(self, request: Request, codes: list[str]) -> Response:
        context = {"title": self.name, "step": "codes", "codes": codes}
        return await self.templates.TemplateResponse(request, "sqladmin/two_factor.html", context)


def account_views(
    *, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[type[SessionsView], type[TwoFactorView]]:
    """The two pages bound to one admin app's engine (SQLAdmin sets class attributes on views)."""
    attributes = {"sessionmaker": sessionmaker}
    return (
        cast(type[SessionsView], type("SessionsView", (SessionsView,), attributes)),
        cast(type[TwoFactorView], type("TwoFactorView", (TwoFactorView,), attributes)),
    )
