"""Login throttling that stops guessing without letting a stranger lock the owner out.

OWASP's "device cookies": a browser that logged in successfully holds a signed device token
for that username and is limited on its own (``device:NONCE``); every other client is limited
per username (``user:NAME``) and per address (``client:ADDRESS``). A stranger's failures
therefore lock out only strangers, never the owner's browser.

Counting is atomic across requests, workers and Lambda instances: an attempt is *reserved*
before the password is checked, with one conditional ``UPDATE`` per key (``attempts <
max`` or the window is over) in its own short transaction. The database serialises those
updates, so of 50 simultaneous attempts at most ``max`` are ever evaluated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from cms.core.models import LoginThrottle, as_utc, utcnow

__all__ = ["Limits", "ThrottleKey", "reserve", "reset", "reset_username", "throttle_keys"]


@dataclass(frozen=True)
class ThrottleKey:
    """One counter: its key and the username it concerns (for resets on password change)."""

    key: str
    username: str | None


@dataclass(frozen=True)
class Limits:
    """At most ``max_attempts`` attempts per key within ``window``."""

    max_attempts: int
    window: timedelta


def throttle_keys(*, username: str, client: str, device: str | None) -> list[ThrottleKey]:
    """The counters an attempt is charged to: its device's, or its username's and address's."""
    if device:
        return [ThrottleKey(f"device:{device}"[:200], username)]
    return [ThrottleKey(f"user:{username}"[:200], username), ThrottleKey(f"client:{client}", None)]


async def _ensure_rows(session: AsyncSession, keys: Sequence[ThrottleKey], now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    rows = [
        {"key": k.key, "username": k.username, "attempts": 0, "window_start": now} for k in keys
    ]
    await session.execute(insert(LoginThrottle).values(rows).on_conflict_do_nothing())


async def reserve(
    sessionmaker: async_sessionmaker[AsyncSession],
    keys: Sequence[ThrottleKey],
    limits: Limits,
    *,
    now: datetime | None = None,
) -> int:
    """Charge one attempt to every key, all or none; seconds to wait if one is used up, else 0."""
    now = now or utcnow()
    since = now - limits.window
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    expired = table.c.window_start < since
    charge = (
        update(table)
        .where(expired | (table.c.attempts < limits.max_attempts))
        .values(
            attempts=case((expired, 1), else_=table.c.attempts + 1),
            window_start=case((expired, now), else_=table.c.window_start),
        )
    )
    async with sessionmaker() as session:
        await _ensure_rows(session, keys, now)
        for key in keys:
            result = await session.execute(charge.where(table.c.key == key.key))
            if result.rowcount == 1:  # type: ignore[attr-defined]
                continue
            started = await session.scalar(
                select(table.c.window_start).where(table.c.key == key.key)
            )
            if started is None:  # a login that just succeeded reset it: a fresh window
                await _ensure_rows(session, [key], now)
                await session.execute(charge.where(table.c.key == key.key))
                continue
            await session.rollback()
            ends = as_utc(started) + limits.window
            return max(1, int((ends - now).total_seconds()) + 1)
        await session.commit()
    return 0


async def reset(session: AsyncSession, keys: Sequence[ThrottleKey]) -> None:
    """Forget the attempts of ``keys`` (after a successful login); the caller commits."""
    await session.execute(
        delete(LoginThrottle).where(col(LoginThrottle.key).in_([k.key for k in keys]))
    )


async def reset_username(session: AsyncSession, username: str) -> None:
    """Forget every attempt charged to ``username`` (a new password); the caller commits."""
    await session.execute(delete(LoginThrottle).where(col(LoginThrottle.username) == username))
