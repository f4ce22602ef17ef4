"""Password hashing (passlib, argon2) and the back office's JWTs (python-jose, HS256 only).

python-jose is imported by the first token made or read: it loads cryptography's X.509 and
key modules, which the login page (a cold start's first back-office page) does not need.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from passlib.context import CryptContext

__all__ = [
    "JWT_ALGORITHM",
    "JWT_AUDIENCE",
    "InvalidTokenError",
    "create_access_token",
    "decode_access_token",
    "hash_password",
    "password_fingerprint",
    "verify_password",
]

JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "portfolio-cms-admin"
_ALGORITHMS = [JWT_ALGORITHM]  # always pinned: never let the token's header choose
_REQUIRED_CLAIMS = {f"require_{claim}": True for claim in ("exp", "iat", "sub", "aud")}

_passwords = CryptContext(schemes=["argon2"], deprecated="auto")


@cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so both paths cost one argon2 hash.
    return _passwords.hash("not-a-real-password-only-for-timing")


class InvalidTokenError(Exception):
    """The token is missing, malformed, expired, or not signed by us with HS256."""


def hash_password(password: str) -> str:
    """An argon2 hash of ``password``."""
    return _passwords.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether ``password`` matches; with no hash, burn the same time and say no."""
    if password_hash is None:
        _passwords.verify(password, _dummy_hash())
        return False
    try:
        return _passwords.verify(password, password_hash)
    except (ValueError, TypeError):
        return False


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash: tokens carry it, so a new password ends old sessions."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def create_access_token(
    *,
    subject: str,
    secret_key: str,
    lifetime: timedelta,
    claims: dict[str, Any] | None = None,
    now: datetime | None = None,
    audience: str = JWT_AUDIENCE,
) -> str:
    """A signed HS256 JWT for ``subject`` that expires after ``lifetime``."""
    from jose import jwt

    issued = now or datetime.now(UTC)
    payload: dict[str, Any] = {
        **(claims or {}),
        "sub": subject,
        "aud": audience,
        "iat": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
    }
    return jwt.encode(payload, secret_key, algorithm=JWT_ALGORITHM)


def decode_access_token(
    token: str, *, secret_key: str, audience: str = JWT_AUDIENCE
) -> dict[str, Any]:
    """The claims of a valid token for ``audience``; raises :class:`InvalidTokenError` otherwise."""
    from jose import JWTError, jwt

    try:
        header = jwt.get_unverified_header(token)
        # jose would refuse these too; checking first keeps the reason explicit. (Not
        # hmac.compare_digest: the header is public, and a non-ASCII "alg" makes it raise.)
        if header.get("alg") != JWT_ALGORITHM:
            raise InvalidTokenError("unexpected algorithm")
        checks = {"audience": audience, "options": _REQUIRED_CLAIMS}
        claims: dict[str, Any] = jwt.decode(token, secret_key, algorithms=_ALGORITHMS, **checks)
    except JWTError as exc:
        raise InvalidTokenError(type(exc).__name__) from exc
    return claims
