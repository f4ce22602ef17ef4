"""Back-office authentication: a JWT in an HttpOnly, SameSite=Strict cookie, and DB throttling.

SQLAdmin's default backend keeps the login in a signed session cookie behind
``SessionMiddleware``; ours keeps nothing but the JWT, so no other secret-bearing cookie
exists. Failed logins are rows in ``login_attempts``: the limit holds across all Lambda
instances, and it is applied to the submitted username whether or not that user exists.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
from sqladmin.authentication import AuthenticationBackend
from sqladmin.templating import Jinja2Templates
from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cms.admin.accounts import PASSWORD_MAX_LENGTH, normalize_username
from cms.core.config import Settings
from cms.core.models import AdminUser, LoginAttempt, as_utc, utcnow
from cms.core.security import (
    InvalidTokenError,
    create_access_token,
    decode_access_token,
    password_fingerprint,
    verify_password,
)

__all__ = ["COOKIE_NAME", "JWTCookieAuth", "client_address", "login_retry_after"]

logger = logging.getLogger(__name__)

COOKIE_NAME = "cms_admin_token"
_USERNAME_MAX = 100


def client_address(request: Request) -> str:
    """The caller's address as the server saw it (API Gateway's source IP under Mangum)."""
    return (request.client.host if request.client else "unknown")[:100]


async def login_retry_after(
    session: AsyncSession,
    *,
    username: str,
    client: str,
    max_failures: int,
    window: timedelta,
    now: datetime | None = None,
) -> int:
    """Seconds until another attempt is allowed (0: allowed now).

    Blocked when ``max_failures`` failures for this username, or from this client, fall
    within ``window``; the block lifts when the oldest of those leaves the window.
    """
    now = now or utcnow()
    since = now - window
    waits = [0]
    for column, value in (
        (col(LoginAttempt.username), username),
        (col(LoginAttempt.client), client),
    ):
        stamps = (
            await session.scalars(
                select(col(LoginAttempt.created_at))
                .where(column == value, col(LoginAttempt.created_at) >= since)
                .order_by(col(LoginAttempt.created_at).desc())
                .limit(max_failures)
            )
        ).all()
        if len(stamps) >= max_failures:
            oldest = as_utc(stamps[-1])
            waits.append(max(1, int((oldest + window - now).total_seconds()) + 1))
    return max(waits)


class JWTCookieAuth(AuthenticationBackend):
    """SQLAdmin backend: form login → HS256 JWT cookie; every admin request checks it."""

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

    # --- cookie --------------------------------------------------------------------

    @staticmethod
    def _cookie_path(request: Request) -> str:
        return request.scope.get("root_path") or "/admin"

    def _set_cookie(self, response: Response, request: Request, token: str) -> None:
        response.set_cookie(
            COOKIE_NAME,
            token,
            max_age=self.settings.jwt_lifetime_minutes * 60,
            path=self._cookie_path(request),
            httponly=True,
            samesite="strict",
            secure=not self.settings.is_dev,
        )

    def _clear_cookie(self, response: Response, request: Request) -> None:
        response.delete_cookie(
            COOKIE_NAME,
            path=self._cookie_path(request),
            httponly=True,
            samesite="strict",
            secure=not self.settings.is_dev,
        )

    def _to_login(self, request: Request) -> Response:
        response = RedirectResponse(request.url_for("admin:login"), status_code=302)
        self._clear_cookie(response, request)
        return response

    # --- SQLAdmin hooks ------------------------------------------------------------

    async def login(self, request: Request) -> Response | bool:
        """Check the form; on success set the JWT cookie and go to the dashboard."""
        form = await request.form()
        username = normalize_username(str(form.get("username") or ""))[:_USERNAME_MAX]
        password = str(form.get("password") or "")
        client = client_address(request)
        window = timedelta(minutes=self.settings.login_window_minutes)
        now = utcnow()
        async with self.sessionmaker() as session, session.begin():
            # Old failures no longer count: prune them so the table stays small.
            await session.execute(
                delete(LoginAttempt).where(col(LoginAttempt.created_at) < now - window)
            )
            wait = await login_retry_after(
                session,
                username=username,
                client=client,
                max_failures=self.settings.login_max_failures,
                window=window,
                now=now,
            )
            if wait:
                return await self._throttled(request, wait)
            user = (
                await session.scalars(select(AdminUser).where(col(AdminUser.username) == username))
            ).first()
            ok = False
            if username and password and len(password) <= PASSWORD_MAX_LENGTH:
                # argon2 takes ~0.1 s: keep the event loop free meanwhile.
                ok = await anyio.to_thread.run_sync(
                    verify_password, password, user.password_hash if user else None
                )
            if not ok or user is None or not user.is_active:
                session.add(LoginAttempt(username=username, client=client, created_at=now))
                logger.info("admin login failed for a submitted username from %s", client)
                return False
            user.last_login_at = now
            await session.execute(
                delete(LoginAttempt).where(
                    or_(col(LoginAttempt.username) == username, col(LoginAttempt.client) == client)
                )
            )
            claims = {"uid": user.id, "pwv": password_fingerprint(user.password_hash)}
        token = create_access_token(
            subject=username,
            secret_key=self.settings.secret_key,
            lifetime=timedelta(minutes=self.settings.jwt_lifetime_minutes),
            claims=claims,
            now=now,
        )
        response = RedirectResponse(request.url_for("admin:index"), status_code=302)
        self._set_cookie(response, request, token)
        logger.info("admin login succeeded for %s", username)
        return response

    async def _throttled(self, request: Request, wait: int) -> Response:
        minutes = max(1, -(-wait // 60))
        message = (
            "Too many failed login attempts. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        assert self.templates is not None
        response = await self.templates.TemplateResponse(
            request, "sqladmin/login.html", {"error": message}, status_code=429
        )
        response.headers["Retry-After"] = str(wait)
        return response

    async def logout(self, request: Request) -> Response | bool:
        """Clear the cookie and show the login page."""
        return self._to_login(request)

    async def authenticate(self, request: Request) -> Response | bool:
        """Accept only an unexpired HS256 token of an active user with the current password."""
        token = request.cookies.get(COOKIE_NAME)
        if not token:
            return False
        try:
            claims = decode_access_token(token, secret_key=self.settings.secret_key)
            uid = int(claims["uid"])
        except (InvalidTokenError, KeyError, TypeError, ValueError):
            return self._to_login(request)
        async with self.sessionmaker() as session:
            user = await session.get(AdminUser, uid)
        if (
            user is None
            or not user.is_active
            or user.username != claims.get("sub")
            or password_fingerprint(user.password_hash) != claims.get("pwv")
        ):
            return self._to_login(request)
        request.state.admin_username = user.username
        return True

    async def get_user_id(self, request: Request) -> Any:
        """The username, used by views and the audit log."""
        return getattr(request.state, "admin_username", None)
