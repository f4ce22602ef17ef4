"""Owner accounts of the back office: create, change password, list, and the dev account."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from cms.admin.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, password_problem
from cms.admin.sessions import end_sessions
from cms.admin.throttle import reset_username
from cms.core.config import Settings, get_settings
from cms.core.models import AdminUser
from cms.core.security import hash_password

__all__ = [
    "DEV_ADMIN_USERNAME",
    "PASSWORD_MAX_LENGTH",
    "PASSWORD_MIN_LENGTH",
    "AccountError",
    "check_password",
    "check_username",
    "create_admin",
    "credentials_changed",
    "ensure_dev_admin",
    "list_admins",
    "normalize_username",
    "set_password",
]

DEV_ADMIN_USERNAME = "admin"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,99}$")


class AccountError(ValueError):
    """An account request the owner can fix (bad name, weak password, unknown user)."""


def normalize_username(username: str) -> str:
    """Usernames are case-insensitive: stored and compared lower-case, trimmed."""
    return username.strip().lower()


def check_username(username: str) -> str:
    """The normalised username, or :class:`AccountError` if it breaks the naming rules."""
    name = normalize_username(username)
    if not _USERNAME.match(name):
        raise AccountError(
            "Username must be 3–100 characters: letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit."
        )
    return name


def check_password(password: str, *, username: str) -> None:
    """Raise :class:`AccountError` saying why, if ``password`` fails the policy for ``username``."""
    problem = password_problem(password, username=normalize_username(username))
    if problem is not None:
        raise AccountError(problem)


async def _find(session: AsyncSession, username: str) -> AdminUser | None:
    result = await session.scalars(
        select(AdminUser).where(col(AdminUser.username) == normalize_username(username))
    )
    return result.first()


async def create_admin(session: AsyncSession, username: str, password: str) -> AdminUser:
    """Add an active owner account; the caller commits."""

    name = check_username(username)
    check_password(password, username=name)
    if await _find(session, name) is not None:
        raise AccountError(f"An admin named {name!r} already exists.")
    user = AdminUser(username=name, password_hash=hash_password(password), is_active=True)
    session.add(user)
    await session.flush()
    return user


async def set_password(session: AsyncSession, username: str, password: str) -> AdminUser:
    """Replace an account's password, end its sessions and lift its login limits.

    The caller commits.
    """

    check_password(password, username=username)
    user = await _find(session, username)
    if user is None:
        raise AccountError(f"No admin named {normalize_username(username)!r}.")
    user.password_hash = hash_password(password)
    await session.flush()
    await credentials_changed(session, user)
    return user


async def credentials_changed(session: AsyncSession, user: AdminUser) -> None:
    """After a new password or a deactivation: end every session, forget the login limits."""

    assert user.id is not None
    await end_sessions(session, user.id)
    await reset_username(session, user.username)


async def list_admins(session: AsyncSession) -> Sequence[AdminUser]:
    """Every owner account, by username."""
    return (await session.scalars(select(AdminUser).order_by(col(AdminUser.username)))).all()


async def ensure_dev_admin(
    session: AsyncSession, *, settings: Settings | None = None
) -> tuple[str, str] | None:
    """In dev, create ``admin`` with a random password when no account exists.

    Returns ``(username, password)`` to print once, or ``None`` when an account already
    exists. Refuses to run in prod, where accounts come only from ``cms create-admin``.
    """
    settings = settings or get_settings()
    if not settings.is_dev:
        raise AccountError("No default admin in prod: use `cms create-admin USERNAME`.")
    if await session.scalar(select(func.count()).select_from(AdminUser)):
        return None
    password = secrets.token_urlsafe(15)
    # 120 random bits nearly always pass; a draw that happens to spell "admin" does not.
    while password_problem(password, username=DEV_ADMIN_USERNAME) is not None:
        password = secrets.token_urlsafe(15)
    await create_admin(session, DEV_ADMIN_USERNAME, password)
    return DEV_ADMIN_USERNAME, password
