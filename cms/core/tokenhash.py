"""API tokens without SQLAlchemy: the hash that names a token, and the rules a token must meet.

Standard library only, so the read path (which imports neither SQLAlchemy nor pydantic) checks
a token with its raw driver: :data:`TOKEN_SQL` in the driver's paramstyle, then
:func:`token_grants` on the row. :mod:`cms.core.tokens` applies the same rules through the ORM.
:func:`presented_token` decides, for the read path and the full app alike, which token a
request presents: only a well-formed token of ours counts, any other ``Authorization`` or
``X-API-Key`` value leaves the request anonymous (so it is answered from the cache).
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final

__all__ = [
    "READ_DRAFTS",
    "SCOPES",
    "TOKEN_MAX_LENGTH",
    "TOKEN_PREFIX",
    "TOKEN_SQL",
    "WRITE_RESUME",
    "looks_like_token",
    "presented_token",
    "token_grants",
    "token_hash",
]

READ_DRAFTS: Final = "read-drafts"
"""Read the CV with its drafts."""
WRITE_RESUME: Final = "write-resume"
"""Replace the CV with a JSON Resume document."""
SCOPES: Final = (READ_DRAFTS, WRITE_RESUME)

TOKEN_PREFIX: Final = "cms_"
"""Every token starts with this, so secret scanners and people can tell what it is."""
TOKEN_MAX_LENGTH: Final = 100  # a real token is 47 characters; longer input is never one
# After the prefix, URL-safe base64 (``secrets.token_urlsafe``); a set, not a regex to compile
# on the cold start.
_BODY: Final = frozenset(string.ascii_letters + string.digits + "-_")

TOKEN_SQL: Final = "SELECT scope, expires_at, revoked_at FROM api_tokens WHERE token_hash = {}"
"""A token's row by the hash of the token: format ``{}`` with ``$1`` (asyncpg) or ``?``."""


def token_hash(token: str) -> str:
    """SHA-256 hex of ``token``: tokens are 32 random bytes, so a fast hash is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(token: str) -> bool:
    """Whether ``token`` has a token's shape (checked before any database work)."""
    body = token.removeprefix(TOKEN_PREFIX)
    return len(body) < len(token) <= TOKEN_MAX_LENGTH and body != "" and set(body) <= _BODY


def presented_token(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The well-formed token a request presents, from its raw (ASGI) headers; else ``None``.

    ``Authorization: Bearer <token>`` first, then ``X-API-Key: <token>``; the first of each
    header counts. Anything else there (``Basic``, a proxy's credentials, an empty key, a value
    of another shape) is not a token of ours: the request is anonymous.
    """
    authorization = key = None
    for name, value in headers:
        if name == b"authorization" and authorization is None:
            authorization = value
        elif name == b"x-api-key" and key is None:
            key = value
    candidates = []
    if authorization is not None:
        scheme, _, credentials = authorization.decode("latin-1").strip().partition(" ")
        if scheme.lower() == "bearer":
            candidates.append(credentials.strip())
    if key is not None:
        candidates.append(key.decode("latin-1").strip())
    return next((token for token in candidates if looks_like_token(token)), None)


def _as_utc(value: datetime | str | None) -> datetime | None:
    """A stored time as aware UTC: SQLite's raw driver returns naive UTC text."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def token_grants(
    row_scope: str,
    expires_at: datetime | str | None,
    revoked_at: datetime | str | None,
    *,
    scope: str,
    now: datetime | None = None,
) -> bool:
    """Whether a token with this row (see :data:`TOKEN_SQL`) may act with ``scope`` now.

    Scopes are exact: a ``write-resume`` token does not read drafts.
    """
    if row_scope != scope or revoked_at is not None:
        return False
    expires = _as_utc(expires_at)
    return expires is None or (now or datetime.now(UTC)) < expires
