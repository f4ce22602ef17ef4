"""API tokens: create (the token is shown once), find by token, revoke, list.

A token is ``cms_`` plus 32 random bytes; the table keeps its SHA-256 (:mod:`cms.core.tokenhash`)
and its first characters, never the token. Creating and revoking are audited; tokens are not
content, so none of this moves the content version. Every function leaves the commit to the
caller.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from cms.core.models import ApiToken, AuditLog, as_utc, utcnow
from cms.core.tokenhash import SCOPES, TOKEN_PREFIX, looks_like_token, token_grants, token_hash

__all__ = [
    "LAST_USED_RESOLUTION",
    "MAX_EXPIRY_DAYS",
    "PREFIX_LENGTH",
    "TokenError",
    "check_expiry",
    "check_name",
    "check_scope",
    "create_token",
    "find_token",
    "list_tokens",
    "revoke_token",
]

PREFIX_LENGTH = 8
MAX_EXPIRY_DAYS = 3650
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""``last_used_at`` moves at most this often: a busy token does not write on every request."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_TABLE = ApiToken.__tablename__


class TokenError(ValueError):
    """A token request the owner can fix (bad name or scope, duplicate or unknown name)."""


def check_name(name: str) -> str:
    """The trimmed token name, or :class:`TokenError` if it breaks the naming rules."""
    trimmed = name.strip()
    if not _NAME.match(trimmed):
        raise TokenError(
            "Token name must be 1–100 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return trimmed


def check_scope(scope: str) -> str:
    """``scope`` if it is one of :data:`~cms.core.tokenhash.SCOPES`, else :class:`TokenError`."""
    if scope not in SCOPES:
        raise TokenError(f"Unknown scope {scope!r}: use one of {', '.join(SCOPES)}.")
    return scope


def check_expiry(days: int | None) -> int | None:
    """``days`` if it is a valid lifetime (or ``None``: no expiry), else :class:`TokenError`."""
    if days is not None and not 1 <= days <= MAX_EXPIRY_DAYS:
        raise TokenError(f"Expiry must be between 1 and {MAX_EXPIRY_DAYS} days.")
    return days


async def _by_name(session: AsyncSession, name: str) -> ApiToken | None:
    result = await session.scalars(select(ApiToken).where(col(ApiToken.name) == name.strip()))
    return result.first()


def _audit(
    token: ApiToken, *, action: str, actor: str, changes: dict[str, list[str | None]]
) -> AuditLog:
    return AuditLog(
        username=actor,
        action=action,
        table_name=_TABLE,
        record_id=str(token.id),
        record_label=token.name,
        changes=changes,
        created_at=utcnow(),
    )


async def create_token(
    session: AsyncSession, *, name: str, scope: str, expires_in_days: int | None, actor: str
) -> tuple[ApiToken, str]:
    """Add a token; returns its row and the token itself, which is never available again."""
    name = check_name(name)
    check_scope(scope)
    check_expiry(expires_in_days)
    if await _by_name(session, name) is not None:
        raise TokenError(f"A token named {name!r} already exists.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    expires_at = None if expires_in_days is None else now + timedelta(days=expires_in_days)
    row = ApiToken(
        name=name,
        scope=scope,
        token_hash=token_hash(token),
        prefix=token[:PREFIX_LENGTH],
        created_at=now,
        expires_at=expires_at,
        created_by=actor,
    )
    session.add(row)
    await session.flush()
    changes: dict[str, list[str | None]] = {"scope": [None, scope], "prefix": [None, row.prefix]}
    if expires_at is not None:
        changes["expires_at"] = [None, expires_at.isoformat()]
    session.add(_audit(row, action="create", actor=actor, changes=changes))
    await session.flush()
    return row, token


async def find_token(session: AsyncSession, token: str, *, scope: str) -> ApiToken | None:
    """The live token ``token`` if it may act with ``scope``, else ``None``; notes its use.

    The row is found by the hash of the token, so no comparison ever touches the token itself.
    """
    if not looks_like_token(token):
        return None
    result = await session.scalars(
        select(ApiToken).where(col(ApiToken.token_hash) == token_hash(token))
    )
    row = result.first()
    now = utcnow()
    if row is None or not token_grants(
        row.scope, row.expires_at, row.revoked_at, scope=scope, now=now
    ):
        return None
    last_used = as_utc(row.last_used_at)
    if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        await session.flush()
    return row


async def revoke_token(session: AsyncSession, *, name: str, actor: str) -> bool:
    """Revoke the token ``name`` now; ``False`` if it already was; unknown: :class:`TokenError`."""
    row = await _by_name(session, name)
    if row is None:
        raise TokenError(f"No token named {name.strip()!r}.")
    if row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    session.add(
        _audit(
            row,
            action="revoke",
            actor=actor,
            changes={"revoked_at": [None, row.revoked_at.isoformat()]},
        )
    )
    await session.flush()
    return True


async def list_tokens(session: AsyncSession) -> Sequence[ApiToken]:
    """Every token, live or not, by name."""
    return (await session.scalars(select(ApiToken).order_by(col(ApiToken.name)))).all()
