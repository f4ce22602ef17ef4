"""The owner's "Passkeys" page: the account's passkeys, registering a new one, deleting one.

Registration is two requests from ``static/passkeys.js``: ``POST /admin/passkeys/options``
(``navigator.credentials.create`` options and a challenge cookie), then
``POST /admin/passkeys/register`` with the name and the authenticator's answer. Deleting is a
form POST. Both changes are written to the audit log; all of it acts on the logged-in account.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self, cast

from sqladmin import BaseView, expose
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from cms.admin.auth import JWTCookieAuth
from cms.admin.formatters import format_time
from cms.admin.passkey_store import add_passkey, consume_challenge, delete_passkey, list_passkeys
from cms.admin.passkeys import (
    CHALLENGE_COOKIE,
    CHALLENGE_LIFETIME,
    NAME_MAX,
    PasskeyRefused,
    challenge_token,
    expected_challenge,
    parse_registration,
    read_json,
    registration_options,
    relying_party,
    valid_name,
    verify_registration,
)
from cms.core.config import Settings
from cms.core.jsonerror import error_response
from cms.core.models import AdminUser, AuditLog, utcnow

__all__ = ["PasskeysView"]

_TABLE = "admin_passkeys"


def _audit(username: str, action: str, passkey_id: int | None, name: str) -> AuditLog:
    return AuditLog(
        username=username,
        action=action,
        table_name=_TABLE,
        record_id=str(passkey_id) if passkey_id is not None else None,
        record_label=name,
        created_at=utcnow(),
    )


class PasskeysView(BaseView):
    """List, register and delete the logged-in account's passkeys."""

    name = "Passkeys"
    icon = "fa-solid fa-fingerprint"
    category = "Back office"
    settings: ClassVar[Settings]
    sessionmaker: ClassVar[async_sessionmaker[AsyncSession]]
    auth: ClassVar[JWTCookieAuth]

    @classmethod
    def bound(
        cls,
        *,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        auth: JWTCookieAuth,
    ) -> type[Self]:
        """A subclass for one admin app (SQLAdmin sets identity and templates on the class)."""
        attributes = {"settings": settings, "sessionmaker": sessionmaker, "auth": auth}
        return cast(type[Self], type(cls.__name__, (cls,), attributes))

    # The page is defined first: SQLAdmin names a view after its first exposed page.
    @expose("/passkeys", methods=["GET", "POST"], identity="passkeys")
    async def passkeys_page(self, request: Request) -> Response:
        """List the passkeys; POST ``delete=ID`` deletes one."""
        user_id = int(request.state.admin_user_id)
        if request.method == "POST":
            return await self._delete(request, user_id)
        return await self._list(request, user_id)

    async def _list(
        self, request: Request, user_id: int, *, error: str | None = None, status: int = 200
    ) -> Response:
        async with self.sessionmaker() as session:
            rows = await list_passkeys(session, user_id)
        items = [
            {
                "id": row.id,
                "name": row.name,
                "created": format_time(row.created_at),
                "last_used": format_time(row.last_used_at) or "never",
            }
            for row in rows
        ]
        context: dict[str, Any] = {
            "title": self.name,
            "items": items,
            "name_max": NAME_MAX,
            "error": error,
            "added": request.query_params.get("added") == "1",
            "deleted": request.query_params.get("deleted") == "1",
        }
        return await self.templates.TemplateResponse(
            request, "sqladmin/passkeys.html", context, status_code=status
        )

    async def _delete(self, request: Request, user_id: int) -> Response:
        form = await request.form()
        raw = form.get("delete")
        passkey_id = int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 10 else 0
        async with self.sessionmaker() as session:
            name = await delete_passkey(session, user_id, passkey_id)
            if name is not None:
                session.add(_audit(str(request.state.admin_username), "delete", passkey_id, name))
                await session.commit()
        if name is None:
            return await self._list(
                request,
                user_id,
                error="That passkey does not exist (deleted already?).",
                status=404,
            )
        url = URL(str(request.url_for("admin:view-passkeys"))).include_query_params(deleted="1")
        return RedirectResponse(url, status_code=303)

    @expose("/passkeys/options", methods=["POST"], identity="passkeys-options")
    async def creation_options(self, request: Request) -> Response:
        """Options for ``navigator.credentials.create``; the challenge goes in a cookie."""
        user_id = int(request.state.admin_user_id)
        try:
            rp = relying_party(request, self.settings)
        except PasskeyRefused as refusal:
            return error_response(refusal.status, refusal.message)
        async with self.sessionmaker() as session:
            user = await session.get(AdminUser, user_id)
            assert user is not None  # authenticate() found it a moment ago
            options, challenge = registration_options(
                rp, user, await list_passkeys(session, user_id)
            )
        response = Response(options, media_type="application/json")
        token = challenge_token(self.settings, "register", challenge, user_id)
        age = int(CHALLENGE_LIFETIME.total_seconds())
        self.auth.set_cookie(response, request, CHALLENGE_COOKIE, token, age)
        return response

    @expose("/passkeys/register", methods=["POST"], identity="passkeys-register")
    async def register(self, request: Request) -> Response:
        """Check and store a new passkey: JSON ``{"name": ..., "credential": ...}``."""
        user_id = int(request.state.admin_user_id)
        async with self.sessionmaker() as session:
            try:
                rp = relying_party(request, self.settings)
                body = await read_json(request)
                body = body if isinstance(body, dict) else {}
                name = valid_name(body.get("name"))
                credential = parse_registration(body.get("credential"))
                challenge = expected_challenge(request, self.settings, "register", user_id)
                if not await consume_challenge(session, challenge):
                    raise PasskeyRefused("This registration was used already. Please try again.")
                await session.commit()
                verified = verify_registration(rp, credential, challenge)
                user = await session.get(AdminUser, user_id)
                assert user is not None
                passkey = await add_passkey(
                    session, user, name=name, credential=credential, verified=verified
                )
            except PasskeyRefused as refusal:
                await session.rollback()
                response = error_response(refusal.status, refusal.message)
                self.auth.clear_cookie(response, request, CHALLENGE_COOKIE)
                return response
            session.add(_audit(user.username, "create", passkey.id, name))
            await session.commit()
        url = URL(str(request.url_for("admin:view-passkeys"))).include_query_params(added="1")
        response = JSONResponse({"name": name, "redirect": str(url)}, status_code=201)
        self.auth.clear_cookie(response, request, CHALLENGE_COOKIE)
        return response
