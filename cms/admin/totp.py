"""Two-factor login: TOTP codes (RFC 6238, pyotp) and single-use recovery codes (stored hashed).

Enrolment stores a new secret on the account and enables it only once the owner has typed a
first code from the authenticator app. A code's time step is remembered, so no code works twice.
Recovery codes are 10 random groups of 10 base32 characters (50 bits each): SHA-256 suffices,
no slow hash is needed for values nobody chose.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from cms.core.models import AdminUser, RecoveryCode, utcnow

__all__ = [
    "ISSUER",
    "RECOVERY_CODE_COUNT",
    "begin_enrolment",
    "check_code",
    "confirm_enrolment",
    "disable",
    "enable_now",
    "new_recovery_codes",
    "provisioning_uri",
    "qr_svg",
    "recovery_codes_left",
]

ISSUER = "Portfolio CMS"
RECOVERY_CODE_COUNT = 10
_CODE = re.compile(r"^\d{6}$")
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def provisioning_uri(user: AdminUser) -> str:
    """The ``otpauth://`` URI authenticator apps read (from the QR code or typed)."""
    assert user.totp_secret is not None
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (no external image, nothing for the CSP to allow)."""
    import segno

    return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#1d273b", light="#ffffff"))


def begin_enrolment(user: AdminUser) -> str:
    """Give ``user`` a new, not yet enabled secret; returns it. The caller commits."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled = False
    user.totp_last_step = None
    return user.totp_secret


def _accept_totp(user: AdminUser, code: str, now: datetime) -> bool:
    if user.totp_secret is None or not _CODE.match(code):
        return False
    totp = pyotp.TOTP(user.totp_secret)
    step = totp.timecode(now)
    # One step either side: clocks drift, and typing takes time.
    for candidate in (step - 1, step, step + 1):
        if candidate <= (user.totp_last_step or 0):
            continue
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            user.totp_last_step = candidate
            return True
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
    if user.totp_enabled or not _accept_totp(user, _normalise(code), utcnow()):
        return None
    user.totp_enabled = True
    return await new_recovery_codes(session, user)


async def enable_now(session: AsyncSession, user: AdminUser) -> tuple[str, list[str]]:
    """Enable two-factor login at once (the shell); the otpauth:// URI and recovery codes."""
    begin_enrolment(user)
    user.totp_enabled = True
    return provisioning_uri(user), await new_recovery_codes(session, user)


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
    if _accept_totp(user, code, now):
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
