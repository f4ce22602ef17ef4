"""Two-factor login: TOTP codes (RFC 6238, pyotp) and single-use recovery codes (stored hashed).

Enrolment stores a new secret on the account and enables it only once the owner has typed a
first code from the authenticator app. The secret is kept encrypted under a key derived from
``SECRET_KEY`` (:mod:`cms.core.encryption`); :func:`rotate_key` re-encrypts after a change.

A code is single-use even when requests race: accepting one is a conditional ``UPDATE`` that
moves the account's last accepted time step forward, and only the request whose update changed
the row gets in. A recovery code is used up the same way (``used_at IS NULL`` in the
``UPDATE``). Recovery codes are 10 random groups of 10 base32 characters (50 bits each):
SHA-256 suffices, no slow hash is needed for values nobody chose.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from cms.core.db import engine_settings
from cms.core.encryption import DecryptionError, decrypt, encrypt, is_encrypted
from cms.core.models import AdminUser, RecoveryCode, utcnow

__all__ = [
    "ISSUER",
    "RECOVERY_CODE_COUNT",
    "KeyRotationError",
    "begin_enrolment",
    "check_code",
    "confirm_enrolment",
    "disable",
    "enable_now",
    "new_recovery_codes",
    "provisioning_uri",
    "qr_svg",
    "recovery_codes_left",
    "rotate_key",
    "secret_of",
]

logger = logging.getLogger(__name__)

ISSUER = "Portfolio CMS"
RECOVERY_CODE_COUNT = 10
_CODE = re.compile(r"^\d{6}$")
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


class KeyRotationError(Exception):
    """Stored secrets that neither the old nor the current ``SECRET_KEY`` decrypts."""


def _secret_key(session: AsyncSession) -> str:
    return engine_settings(session.get_bind()).secret_key


def secret_of(session: AsyncSession, user: AdminUser) -> str:
    """``user``'s TOTP secret in clear; raises DecryptionError if SECRET_KEY changed unrotated."""
    assert user.totp_secret is not None
    return decrypt(user.totp_secret, secret_key=_secret_key(session))


def provisioning_uri(user: AdminUser, secret: str) -> str:
    """The ``otpauth://`` URI authenticator apps read (from the QR code or typed)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (no external image, nothing for the CSP to allow)."""
    import segno

    return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#1d273b", light="#ffffff"))


def begin_enrolment(session: AsyncSession, user: AdminUser) -> str:
    """Give ``user`` a new, not yet enabled secret (stored encrypted); returns it in clear.

    The caller commits.
    """
    secret = pyotp.random_base32()
    user.totp_secret = encrypt(secret, secret_key=_secret_key(session))
    user.totp_enabled = False
    user.totp_last_step = None
    return secret


async def _claim_step(session: AsyncSession, user: AdminUser, step: int) -> bool:
    """Move the last accepted step to ``step`` unless a racing request already got there."""
    last = col(AdminUser.totp_last_step)
    result = await session.execute(
        update(AdminUser)
        .where(col(AdminUser.id) == user.id, or_(last.is_(None), last < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


async def _accept_totp(session: AsyncSession, user: AdminUser, code: str, now: datetime) -> bool:
    if user.totp_secret is None or not _CODE.match(code):
        return False
    try:
        secret = secret_of(session, user)
    except DecryptionError:
        logger.warning(
            "the TOTP secret of %s does not decrypt under SECRET_KEY: "
            "run `cms totp rotate-key --old-key-stdin`",
            user.username,
        )
        return False
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    # One step either side: clocks drift, and typing takes time.
    for candidate in (step - 1, step, step + 1):
        if candidate <= (user.totp_last_step or 0):
            continue
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return await _claim_step(session, user, candidate)
    return False


async def new_recovery_codes(session: AsyncSession, user: AdminUser) -> list[str]:
    """Replace ``user``'s recovery codes with ten new ones, shown once. The caller commits."""
    assert user.id is not None
    await session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(c)) for c in codes)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


async def confirm_enrolment(session: AsyncSession, user: AdminUser, code: str) -> list[str] | None:
    """Enable two-factor login if ``code`` matches the new secret; the recovery codes, or None."""
    if user.totp_enabled or not await _accept_totp(session, user, _normalise(code), utcnow()):
        return None
    user.totp_enabled = True
    return await new_recovery_codes(session, user)


async def enable_now(session: AsyncSession, user: AdminUser) -> tuple[str, list[str]]:
    """Enable two-factor login at once (the shell); the otpauth:// URI and recovery codes."""
    secret = begin_enrolment(session, user)
    user.totp_enabled = True
    return provisioning_uri(user, secret), await new_recovery_codes(session, user)


async def disable(session: AsyncSession, user: AdminUser) -> None:
    """Turn two-factor login off and drop the secret and recovery codes. The caller commits."""
    assert user.id is not None
    user.totp_secret = None
    user.totp_enabled = False
    user.totp_last_step = None
    await session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))


async def check_code(
    session: AsyncSession, user: AdminUser, code: str, *, now: datetime | None = None
) -> bool:
    """Whether ``code`` is a current TOTP code or an unused recovery code (then used up)."""
    code = _normalise(code)
    if not user.totp_enabled or not code or len(code) > 20:
        return False
    now = now or utcnow()
    if await _accept_totp(session, user, code, now):
        return True
    wanted = _hash_recovery(code)
    rows = (
        await session.scalars(
            select(RecoveryCode).where(
                col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None)
            )
        )
    ).all()
    for row in rows:
        if hmac.compare_digest(row.code_hash, wanted):
            # Conditional: of two requests racing with one code, only one uses it.
            result = await session.execute(
                update(RecoveryCode)
                .where(col(RecoveryCode.id) == row.id, col(RecoveryCode.used_at).is_(None))
                .values(used_at=now)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
    return False


async def recovery_codes_left(session: AsyncSession, user: AdminUser) -> int:
    """How many unused recovery codes ``user`` has."""
    rows = await session.scalars(
        select(col(RecoveryCode.id)).where(
            col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None)
        )
    )
    return len(rows.all())


async def rotate_key(session: AsyncSession, old_key: str) -> int:
    """Re-encrypt every TOTP secret under the current SECRET_KEY; how many changed.

    Secrets already under the current key are left as they are, plain ones are encrypted; if
    any decrypts under neither key nothing changes and :class:`KeyRotationError` names the
    accounts. The caller commits.
    """
    current = _secret_key(session)
    users = (
        await session.scalars(select(AdminUser).where(col(AdminUser.totp_secret).is_not(None)))
    ).all()
    changed: list[tuple[AdminUser, str]] = []
    unreadable: list[str] = []
    for user in users:
        stored = user.totp_secret
        assert stored is not None
        try:
            decrypt(stored, secret_key=current)
            if is_encrypted(stored):
                continue
            plain = stored
        except DecryptionError:
            try:
                plain = decrypt(stored, secret_key=old_key)
            except DecryptionError:
                unreadable.append(user.username)
                continue
        changed.append((user, encrypt(plain, secret_key=current)))
    if unreadable:
        raise KeyRotationError(
            "These accounts' two-factor secrets decrypt under neither key: "
            + ", ".join(sorted(unreadable))
        )
    for user, stored in changed:
        user.totp_secret = stored
    return len(changed)
