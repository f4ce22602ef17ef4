"""Where passkeys live: the owner's credentials (``admin_passkeys``) and the challenges
already answered (``admin_passkey_challenges``). The checks themselves are in
:mod:`cms.admin.passkeys`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from cms.admin.passkeys import CHALLENGE_LIFETIME, PasskeyRefused, base64url
from cms.core.models import AdminPasskey, AdminUser, PasskeyChallenge, utcnow

if TYPE_CHECKING:
    from webauthn.helpers.structs import RegistrationCredential

__all__ = [
    "add_passkey",
    "consume_challenge",
    "delete_passkey",
    "find_passkey",
    "list_passkeys",
    "record_use",
]


async def consume_challenge(session: AsyncSession, challenge: str) -> bool:
    """Mark ``challenge`` answered; False if it was answered before. The caller commits."""
    now = utcnow()
    await session.execute(delete(PasskeyChallenge).where(col(PasskeyChallenge.expires_at) < now))
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    key = hashlib.sha256(challenge.encode()).hexdigest()
    # A minute beyond the cookie's own expiry: clocks of two instances may differ a little.
    expires = now + CHALLENGE_LIFETIME + timedelta(minutes=1)
    result = await session.execute(
        insert(PasskeyChallenge).values(id=key, expires_at=expires).on_conflict_do_nothing()
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def list_passkeys(session: AsyncSession, user_id: int) -> Sequence[AdminPasskey]:
    """``user_id``'s passkeys, oldest first."""
    return (
        await session.scalars(
            select(AdminPasskey)
            .where(col(AdminPasskey.user_id) == user_id)
            .order_by(col(AdminPasskey.created_at), col(AdminPasskey.id))
        )
    ).all()


async def find_passkey(
    session: AsyncSession, credential_id: str
) -> tuple[AdminPasskey, AdminUser] | None:
    """The passkey with this credential id (base64url) and its account, if registered."""
    if not credential_id or len(credential_id) > 1400:
        return None
    passkey = (
        await session.scalars(
            select(AdminPasskey).where(col(AdminPasskey.credential_id) == credential_id)
        )
    ).first()
    user = await session.get(AdminUser, passkey.user_id) if passkey is not None else None
    return (passkey, user) if passkey is not None and user is not None else None


async def add_passkey(
    session: AsyncSession,
    user: AdminUser,
    *,
    name: str,
    credential: RegistrationCredential,
    verified: tuple[bytes, bytes, int],
) -> AdminPasskey:
    """Store a checked passkey for ``user``; refused if it is registered already."""
    assert user.id is not None
    credential_id, public_key, sign_count = verified
    encoded = base64url(credential_id)
    if await find_passkey(session, encoded) is not None:
        raise PasskeyRefused("This passkey is registered already.", 409)
    transports = [t.value for t in credential.response.transports or []][:10]
    passkey = AdminPasskey(
        user_id=user.id,
        credential_id=encoded,
        public_key=public_key,
        sign_count=sign_count,
        transports=transports,
        name=name,
    )
    session.add(passkey)
    await session.flush()
    return passkey


async def record_use(
    session: AsyncSession, passkey: AdminPasskey, sign_count: int, *, now: datetime | None = None
) -> bool:
    """Store the new counter and time of use; False if another sign-in moved it first."""
    result = await session.execute(
        update(AdminPasskey)
        .where(
            col(AdminPasskey.id) == passkey.id,
            col(AdminPasskey.sign_count) == passkey.sign_count,
        )
        .values(sign_count=sign_count, last_used_at=now or utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delete_passkey(session: AsyncSession, user_id: int, passkey_id: int) -> str | None:
    """Delete one of ``user_id``'s passkeys; its name, or None if there is no such passkey."""
    passkey = await session.get(AdminPasskey, passkey_id)
    if passkey is None or passkey.user_id != user_id:
        return None
    await session.delete(passkey)
    return passkey.name
