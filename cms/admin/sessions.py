"""Server-side sessions of the back office: one row per login, named by the cookie's token.

The token (a JWT) carries a random secret; the row's key is its SHA-256, so the table alone
opens nothing. Deleting rows ends sessions at once on every instance: logout, a new password,
deactivation, "log out everywhere" and the revoke button all do exactly that.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from cms.core.models import AdminSession, AdminUser, as_utc, utcnow

__all__ = [
    "TOUCH_INTERVAL",
    "end_session",
    "end_sessions",
    "find_session",
    "list_sessions",
    "session_key",
    "start_session",
    "touch_session",
]

TOUCH_INTERVAL = timedelta(minutes=1)
"""How stale "last seen" may get: one write per minute per session, not one per request."""
_SECRET_MAX = 100


def session_key(secret: str) -> str:
    """The row key of the session a token's secret names."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


async def start_session(
    session: AsyncSession,
    user: AdminUser,
    *,
    client: str,
    user_agent: str,
    lifetime: timedelta,
    now: datetime | None = None,
) -> str:
    """Open a session for ``user``; returns the secret its token must carry. The caller commits."""
    assert user.id is not None
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    session.add(
        AdminSession(
            id=session_key(secret),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            client=client[:100],
            user_agent=user_agent[:200],
        )
    )
    return secret


async def find_session(
    session: AsyncSession, secret: object, *, now: datetime | None = None
) -> tuple[AdminSession, AdminUser] | None:
    """The live session a token's secret names, with its account; ``None`` for anything else."""
    if not isinstance(secret, str) or not 0 < len(secret) <= _SECRET_MAX:
        return None
    row = await session.get(AdminSession, session_key(secret))
    if row is None or as_utc(row.expires_at) <= (now or utcnow()):
        return None
    user = await session.get(AdminUser, row.user_id)
    return (row, user) if user is not None else None


async def touch_session(
    session: AsyncSession, row: AdminSession, *, now: datetime | None = None
) -> None:
    """Record that the session was used, at most once per :data:`TOUCH_INTERVAL`."""
    now = now or utcnow()
    if now - as_utc(row.last_seen_at) < TOUCH_INTERVAL:
        return
    await session.execute(
        update(AdminSession).where(col(AdminSession.id) == row.id).values(last_seen_at=now)
    )
    await session.commit()


async def end_session(session: AsyncSession, *, user_id: int, key: str) -> bool:
    """End one of ``user_id``'s sessions by its key; whether it existed. The caller commits."""
    result = await session.execute(
        delete(AdminSession).where(
            col(AdminSession.id) == key[:64], col(AdminSession.user_id) == user_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def end_sessions(session: AsyncSession, user_id: int) -> None:
    """End every session of ``user_id`` (and expired rows of anyone). The caller commits."""
    await session.execute(delete(AdminSession).where(col(AdminSession.user_id) == user_id))
    await session.execute(delete(AdminSession).where(col(AdminSession.expires_at) < utcnow()))


async def list_sessions(session: AsyncSession, user_id: int) -> Sequence[AdminSession]:
    """The live sessions of ``user_id``, most recently used first."""
    return (
        await session.scalars(
            select(AdminSession)
            .where(col(AdminSession.user_id) == user_id)
            .where(col(AdminSession.expires_at) > utcnow())
            .order_by(col(AdminSession.last_seen_at).desc())
        )
    ).all()
