"""The one rule for "the database is unavailable", and the JSON answer that says so.

An outage is an error the client can do nothing about but wait: the server refused or dropped
the connection, the pool had none to lend in time, the database refuses new connections
(restart, failover, ``ALLOW_CONNECTIONS false``), or the driver's socket failed. Each is a 503
with ``Retry-After``. Errors about the data itself (integrity, data, syntax) never are.

Light on purpose: the Lambda handler and the public read path import it on their cold path, so
it imports neither SQLAlchemy nor asyncpg. SQLAlchemy's classes are looked up only once
SQLAlchemy is loaded (before that, none of its errors can exist); drivers are recognised by
the SQLSTATE they carry, which asyncpg's errors and SQLAlchemy's wrappers of them both expose.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cms.core.jsonerror import error_response

__all__ = [
    "RETRY_AFTER_SECONDS",
    "OutageGuard",
    "UNAVAILABLE_MESSAGE",
    "is_database_unavailable",
    "retry_after_headers",
    "unavailable_response",
]

RETRY_AFTER_SECONDS = 30
"""What a 503 tells the client to wait: about how long a database restart or failover takes."""

UNAVAILABLE_MESSAGE = "The database is unavailable; try again shortly"
"""The sentence of every JSON 503 for an outage."""

# SQLSTATE classes: 08 connection exception, 53 insufficient resources (too many connections),
# 57 operator intervention (terminated backends, shutdown, "cannot connect now", timeouts).
_UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "53", "57"})
# object_not_in_prerequisite_state: "database ... is not currently accepting connections".
_UNAVAILABLE_SQLSTATES = frozenset({"55000"})
# SQLAlchemy's names for a pool that lent nothing in time, a lost connection, and the
# DB-API's operational and interface errors (a closed connection, a locked SQLite file).
_SQLALCHEMY_UNAVAILABLE = (
    "TimeoutError",
    "DisconnectionError",
    "OperationalError",
    "InterfaceError",
)
# Errors about the data: never an outage, unless SQLAlchemy saw the connection die with them.
_SQLALCHEMY_DATA_ERRORS = ("IntegrityError", "DataError", "ProgrammingError", "NotSupportedError")
# OSErrors about files are bugs or configuration, not an unreachable server.
_FILE_ERRORS = (
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached right now (rather than a bug)."""
    return any(_is_unavailable(error) for error in _causes(exc))


def retry_after_headers() -> dict[str, str]:
    """The ``Retry-After`` header every outage answer carries."""
    return {"Retry-After": str(RETRY_AFTER_SECONDS)}


def unavailable_response() -> JSONResponse:
    """The JSON 503 (product error shape, ``Retry-After``) for a database outage."""
    return error_response(503, UNAVAILABLE_MESSAGE, headers=retry_after_headers())


class OutageGuard:
    """ASGI: an outage that escapes ``app`` before it began to answer becomes the JSON 503.

    Around an app under a server (Mangum) that would otherwise answer a bare ``500``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watching(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watching)
        except Exception as exc:
            if scope["type"] != "http" or started or not is_database_unavailable(exc):
                raise
            await unavailable_response()(scope, receive, send)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps explicitly (``raise ... from``, a DB-API ``orig``), bounded."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__


def _is_unavailable(error: BaseException) -> bool:
    sqlalchemy = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy is not None and isinstance(error, sqlalchemy.SQLAlchemyError):
        if isinstance(error, sqlalchemy.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, tuple(getattr(sqlalchemy, n) for n in _SQLALCHEMY_DATA_ERRORS)):
            return False
        return isinstance(error, tuple(getattr(sqlalchemy, n) for n in _SQLALCHEMY_UNAVAILABLE))
    if isinstance(error, OSError):  # also TimeoutError and ConnectionError
        return not isinstance(error, _FILE_ERRORS)
    sqlstate = getattr(error, "sqlstate", None)
    if not isinstance(sqlstate, str):
        return False
    return sqlstate[:2] in _UNAVAILABLE_SQLSTATE_CLASSES or sqlstate in _UNAVAILABLE_SQLSTATES
