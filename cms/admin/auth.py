"""Back-office authentication: server-side sessions named by a JWT cookie, two-factor login,
and throttling that a stranger cannot turn against the owner.

SQLAdmin's default backend keeps the login in a signed session cookie behind
``SessionMiddleware``; ours sets only HttpOnly, SameSite=Strict cookies signed with
``SECRET_KEY``: the session token (names an ``admin_sessions`` row), the device token (this
browser logged in as that user before: :mod:`cms.admin.throttle`) and, between the password and
the code, a five-minute token saying the password was right. Every attempt, code or
password, is charged to the throttle before it is evaluated.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta
from typing import Any

import anyio.to_thread
from sqladmin.authentication import AuthenticationBackend
from sqladmin.templating import Jinja2Templates
from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cms.admin import sessions as admin_sessions
from cms.admin.accounts import PASSWORD_MAX_LENGTH, normalize_username
from cms.admin.throttle import Limits, ThrottleKey, reserve, reset, throttle_keys
from cms.admin.totp import check_code
from cms.core.config import Settings
from cms.core.dburl import MAX_ID
from cms.core.hosts import client_address as _client_address
from cms.core.models import AdminUser, LoginAttempt, utcnow
from cms.core.security import (
    JWT_AUDIENCE,
    InvalidTokenError,
    create_access_token,
    decode_access_token,
    password_fingerprint,
    verify_password,
)

__all__ = [
    "COOKIE_NAME",
    "CONTROL_CHARACTERS",
    "DEVICE_COOKIE",
    "LOGIN_MAX_BYTES",
    "PENDING_COOKIE",
    "JWTCookieAuth",
    "client_address",
]

logger = logging.getLogger(__name__)

COOKIE_NAME = "cms_admin_token"
DEVICE_COOKIE = "cms_admin_device"
PENDING_COOKIE = "cms_admin_2fa"
DEVICE_AUDIENCE = "portfolio-cms-device"
PENDING_AUDIENCE = "portfolio-cms-2fa"
PENDING_LIFETIME = timedelta(minutes=5)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Characters no form field or query of the back office may hold (tab and newlines may)."""
_USERNAME_MAX = 100
LOGIN_MAX_BYTES = 16 * 1024
"""The most a login form may send: a username, the longest password (percent-encoded), a code."""


def client_address(request: Request, settings: Settings) -> str:
    """The caller's address: the peer, or what a trusted proxy says (see cms.core.hosts)."""
    return _client_address(request.scope, settings.trusted_proxies)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _valid_id(value: object) -> int | None:
    return value if isinstance(value, int) and 0 < value <= MAX_ID else None


class JWTCookieAuth(AuthenticationBackend):
    """SQLAdmin backend: form login (+ TOTP) → session row named by an HS256 JWT cookie."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        # Deliberately not calling super().__init__(): it installs SessionMiddleware.
        self.middlewares: list[Any] = []
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.templates: Jinja2Templates | None = None
        self.limits = Limits(
            settings.login_max_failures, timedelta(minutes=settings.login_window_minutes)
        )

    # --- cookies -------------------------------------------------------------------

    @staticmethod
    def _cookie_path(request: Request) -> str:
        return request.scope.get("root_path") or "/admin"

    def _set_cookie(
        self, response: Response, request: Request, name: str, value: str, age: int
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=age,
            path=self._cookie_path(request),
            httponly=True,
            samesite="strict",
            secure=not self.settings.is_dev,
        )

    def _clear_cookie(self, response: Response, request: Request, name: str = COOKIE_NAME) -> None:
        response.delete_cookie(
            name,
            path=self._cookie_path(request),
            httponly=True,
            samesite="strict",
            secure=not self.settings.is_dev,
        )

    def _to_login(self, request: Request) -> Response:
        response = RedirectResponse(request.url_for("admin:login"), status_code=302)
        self._clear_cookie(response, request)
        return response

    def _token(self, user: AdminUser, audience: str, lifetime: timedelta, **claims: Any) -> str:
        return create_access_token(
            subject=user.username,
            secret_key=self.settings.secret_key,
            lifetime=lifetime,
            claims=claims,
            audience=audience,
        )

    def _claims(self, request: Request, name: str, audience: str) -> dict[str, Any] | None:
        token = request.cookies.get(name)
        if not token or len(token) > 4096:
            return None
        try:
            return decode_access_token(
                token, secret_key=self.settings.secret_key, audience=audience
            )
        except InvalidTokenError:
            return None

    def _device(self, request: Request, username: str) -> str | None:
        """The nonce of this browser's device token, if it was issued for ``username``."""
        claims = self._claims(request, DEVICE_COOKIE, DEVICE_AUDIENCE)
        nonce = claims.get("dev") if claims and claims.get("sub") == username else None
        return nonce if isinstance(nonce, str) and 0 < len(nonce) <= 64 else None

    # --- pages ---------------------------------------------------------------------

    async def _page(
        self, request: Request, status: int, *, error: str | None = None, step: str = "password"
    ) -> Response:
        assert self.templates is not None
        context = {"error": error, "step": step}
        return await self.templates.TemplateResponse(
            request, "sqladmin/login.html", context, status_code=status
        )

    async def _throttled(self, request: Request, wait: int, client: str) -> Response:
        logger.warning(
            "admin login refused: too many attempts from %s (retry in %d s)", client, wait
        )
        minutes = max(1, -(-wait // 60))
        message = (
            "Too many failed login attempts. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        response = await self._page(request, 429, error=message)
        response.headers["Retry-After"] = str(wait)
        return response

    # --- SQLAdmin hooks ------------------------------------------------------------

    async def login(self, request: Request) -> Response | bool:
        """Check the password (and code); on success open a session and go to the dashboard."""
        form = await request.form()
        code = _field(form, "code")
        raw_username = _field(form, "username")
        if code and not raw_username:
            return await self._second_step(request, code)
        password = _field(form, "password")
        username = normalize_username(CONTROL_CHARACTERS.sub("", raw_username))[:_USERNAME_MAX]
        usable = (
            bool(username and password)
            and len(password) <= PASSWORD_MAX_LENGTH
            and not CONTROL_CHARACTERS.search(raw_username + password)
        )
        client = client_address(request, self.settings)
        keys = throttle_keys(
            username=username, client=client, device=self._device(request, username)
        )
        wait = await reserve(self.sessionmaker, keys, self.limits)
        if wait:
            return await self._throttled(request, wait, client)
        async with self.sessionmaker() as session:
            user = (
                (
                    await session.scalars(
                        select(AdminUser).where(col(AdminUser.username) == username)
                    )
                ).first()
                if username
                else None
            )
            stored = user.password_hash if user is not None and usable else None
            # argon2 takes ~0.1 s: keep the event loop free meanwhile. An unusable attempt
            # costs the same time as a real one.
            ok = await anyio.to_thread.run_sync(
                verify_password, password[:PASSWORD_MAX_LENGTH], stored
            )
            if not ok or user is None or not user.is_active:
                await self._failed(session, username, client)
                return False
            if user.totp_enabled and not code:
                return await self._ask_for_code(request, user)
            if user.totp_enabled and not await check_code(session, user, code):
                await session.commit()  # the accepted time step, if any
                await self._failed(session, username, client)
                return False
            return await self._complete(session, request, user, keys, client)

    async def _ask_for_code(self, request: Request, user: AdminUser) -> Response:
        fingerprint = password_fingerprint(user.password_hash)
        token = self._token(user, PENDING_AUDIENCE, PENDING_LIFETIME, uid=user.id, pwv=fingerprint)
        response = await self._page(request, 200, step="code")
        self._set_cookie(
            response, request, PENDING_COOKIE, token, int(PENDING_LIFETIME.total_seconds())
        )
        return response

    async def _second_step(self, request: Request, code: str) -> Response:
        claims = self._claims(request, PENDING_COOKIE, PENDING_AUDIENCE)
        username = claims.get("sub") if claims else None
        uid = _valid_id(claims.get("uid")) if claims else None
        if claims is None or not isinstance(username, str) or uid is None:
            return await self._page(request, 400, error="Your login expired. Please start again.")
        client = client_address(request, self.settings)
        keys = throttle_keys(
            username=username, client=client, device=self._device(request, username)
        )
        wait = await reserve(self.sessionmaker, keys, self.limits)
        if wait:
            return await self._throttled(request, wait, client)
        async with self.sessionmaker() as session:
            user = await session.get(AdminUser, uid)
            valid = (
                user is not None
                and user.is_active
                and user.username == username
                and password_fingerprint(user.password_hash) == claims.get("pwv")
            )
            if user is None or not valid or not await check_code(session, user, code):
                await session.commit()
                await self._failed(session, username, client)
                return await self._page(request, 400, error="Invalid code.", step="code")
            return await self._complete(session, request, user, keys, client)

    async def _failed(self, session: AsyncSession, username: str, client: str) -> None:
        now = utcnow()
        window = self.limits.window
        # Old failures no longer matter: prune them so the table stays small.
        await session.execute(
            delete(LoginAttempt).where(col(LoginAttempt.created_at) < now - window)
        )
        session.add(LoginAttempt(username=username, client=client, created_at=now))
        await session.commit()
        logger.info("admin login failed for a submitted username from %s", client)

    async def _complete(
        self,
        session: AsyncSession,
        request: Request,
        user: AdminUser,
        keys: list[ThrottleKey],
        client: str,
    ) -> Response:
        now = utcnow()
        lifetime = timedelta(minutes=self.settings.jwt_lifetime_minutes)
        user.last_login_at = now
        await reset(session, keys)
        await session.execute(
            delete(LoginAttempt).where(
                or_(col(LoginAttempt.username) == user.username, col(LoginAttempt.client) == client)
            )
        )
        secret = await admin_sessions.start_session(
            session,
            user,
            client=client,
            user_agent=request.headers.get("user-agent", ""),
            lifetime=lifetime,
            now=now,
        )
        fingerprint = password_fingerprint(user.password_hash)
        await session.commit()
        token = self._token(user, JWT_AUDIENCE, lifetime, uid=user.id, sid=secret, pwv=fingerprint)
        device_age = timedelta(days=self.settings.login_device_days)
        device = self._token(user, DEVICE_AUDIENCE, device_age, dev=secrets.token_urlsafe(24))
        response = RedirectResponse(request.url_for("admin:index"), status_code=302)
        self._set_cookie(response, request, COOKIE_NAME, token, int(lifetime.total_seconds()))
        self._set_cookie(response, request, DEVICE_COOKIE, device, int(device_age.total_seconds()))
        if PENDING_COOKIE in request.cookies:
            self._clear_cookie(response, request, PENDING_COOKIE)
        logger.info("admin login succeeded for %s", user.username)
        return response

    async def logout(self, request: Request) -> Response | bool:
        """End this session on every instance, clear the cookie and show the login page."""
        claims = self._claims(request, COOKIE_NAME, JWT_AUDIENCE)
        secret = claims.get("sid") if claims else None
        uid = _valid_id(claims.get("uid")) if claims else None
        if isinstance(secret, str) and uid is not None and len(secret) <= 100:
            async with self.sessionmaker() as session:
                key = admin_sessions.session_key(secret)
                await admin_sessions.end_session(session, user_id=uid, key=key)
                await session.commit()
        return self._to_login(request)

    async def authenticate(self, request: Request) -> Response | bool:
        """Accept only a live session of an active user, named by an unexpired HS256 token."""
        if not request.cookies.get(COOKIE_NAME):
            return False
        claims = self._claims(request, COOKIE_NAME, JWT_AUDIENCE)
        if claims is None:
            return self._to_login(request)
        async with self.sessionmaker() as session:
            found = await admin_sessions.find_session(session, claims.get("sid"))
            if found is None:
                return self._to_login(request)
            row, user = found
            if not user.is_active:
                # Reactivating the account later must not revive this session.
                await admin_sessions.end_sessions(session, row.user_id)
                await session.commit()
                return self._to_login(request)
            if (
                user.username != claims.get("sub")
                or user.id != claims.get("uid")
                or password_fingerprint(user.password_hash) != claims.get("pwv")
            ):
                return self._to_login(request)
            await admin_sessions.touch_session(session, row)
        request.state.admin_username = user.username
        request.state.admin_user_id = user.id
        request.state.admin_session_key = row.id
        return True

    async def unless_logged_in(self, request: Request) -> Response | None:
        """``None`` for a request of a live session; else the way to the login page."""
        answer = await self.authenticate(request)
        if answer is True:
            return None
        return answer if isinstance(answer, Response) else self._to_login(request)

    async def get_user_id(self, request: Request) -> Any:
        """The username, used by views and the audit log."""
        return getattr(request.state, "admin_username", None)

    # --- hooks for other ways in (passkeys: cms.admin.passkey_login) -------------------
    # Aliases, so that a passkey login charges the same throttle, records failures the same
    # way and opens the very session a password (+ code) login opens.

    device_nonce = _device
    record_failure = _failed
    finish_login = _complete
    set_cookie = _set_cookie
    clear_cookie = _clear_cookie
