"""What the OpenAPI document says beyond a route's own shape: who may call, and every answer.

**Tokens.** :mod:`cms.public.preview` reads a token from ``Authorization: Bearer <token>`` or
``X-API-Key: <token>``; the document declares both as security schemes (``bearer`` and
``apiKey``), so the "Authorize" button of ``/docs`` sends one. They are declared through FastAPI's
own security classes with ``auto_error=False``: they never refuse a request, the routes' token
checks do. A read lists the empty requirement too (anonymous is valid, a token shows drafts);
``PUT /api/v1/resume`` needs a token.

**Answers.** Besides its ``200``, a public read can answer ``304`` (``If-None-Match``), ``401``
(a token that is not a live read-drafts token), ``422`` (an unknown or invalid query parameter:
refused by design, DESIGN §4), ``503`` with ``Retry-After`` (the database is unavailable and the
response is not in memory) and ``500``. Errors are JSON whatever the route's own media type
(``/cv`` is HTML), so their content is declared here rather than left to FastAPI, which files an
error model under the route's media type.
"""

from __future__ import annotations

from typing import Any

from fastapi import Security, params
from fastapi.security import APIKeyHeader, HTTPBearer

from cms.core.config import Settings

__all__ = [
    "ANONYMOUS_TOO",
    "IF_NONE_MATCH",
    "LOCALE",
    "RESUME_BODY",
    "TOKEN",
    "WRITE_RESPONSES",
    "error",
    "read_responses",
    "unavailable",
]

_TOKEN_HELP = (
    "An API token (`cms token create`). On reads, a read-drafts token shows drafts too "
    "(`Cache-Control: private, no-store`); `PUT /api/v1/resume` needs a write-resume token. "
    "A token that is not live and of the right scope: 401."
)
_BEARER = HTTPBearer(scheme_name="bearer", description=_TOKEN_HELP, auto_error=False)
_API_KEY = APIKeyHeader(
    name="X-API-Key", scheme_name="apiKey", description=_TOKEN_HELP, auto_error=False
)
TOKEN: list[params.Depends] = [Security(_BEARER), Security(_API_KEY)]
"""Route dependencies declaring the two token schemes (either one; they never refuse)."""

ANONYMOUS_TOO: list[dict[str, list[str]]] = [{}]
"""An operation's extra security requirement: no token at all is valid too."""

_ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}

IF_NONE_MATCH: dict[str, Any] = {
    "name": "if-none-match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag of a copy you hold: `304` without a body if it is still current.",
}

LOCALE: dict[str, Any] = {
    "name": "locale",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "maxLength": 100},
    "description": "The language to answer in, one of `GET /api/v1/locales` (default: the "
    "first of `LOCALES`); a text without a translation is in the default language. "
    "Another value: `404` listing the locales.",
}

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before asking again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
_CONTENT_HEADERS = {
    "ETag": {
        "description": "A strong ETag of the body (not on a preview with a token).",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "`public, max-age=…` from settings; `private, no-store` with a token.",
        "schema": {"type": "string"},
    },
    "Content-Language": {
        "description": "The locale of the answer (`?locale=`, else the default).",
        "schema": {"type": "string"},
    },
}


def error(description: str, *, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A response of ``description`` with the JSON error body (``ErrorResponse``)."""
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ERROR_SCHEMA}},
    }
    if headers:
        response["headers"] = headers
    return response


def unavailable(what: str) -> dict[str, Any]:
    """The ``503`` of ``what`` while the database is unavailable, with ``Retry-After``."""
    return error(f"The database is unavailable and {what}; try again shortly", headers=_RETRY_AFTER)


def read_responses(missing: str | None = None) -> dict[int | str, dict[str, Any]]:
    """Every answer of a public read besides its body; ``missing``: its ``404``, if it has one."""
    responses: dict[int | str, dict[str, Any]] = {
        200: {"description": "Successful Response", "headers": _CONTENT_HEADERS},
        304: {
            "description": "Not Modified: `If-None-Match` names the current ETag (no body)",
            "headers": {"ETag": _CONTENT_HEADERS["ETag"]},
        },
        401: error("A token was sent that is not a live read-drafts token"),
        422: error(
            "Invalid path or query parameter, or one this path does not take (details in "
            "`details`); answered without touching the database"
        ),
        500: error("Internal server error"),
        503: unavailable("this response is not in this instance's memory"),
    }
    unknown = "`?locale=` names a locale the CV is not written in (`details` lists them)"
    responses[404] = error(f"{missing}, or {unknown}" if missing is not None else unknown)
    return responses


_MAX_BYTES: int = Settings.model_fields["resume_max_bytes"].default

RESUME_BODY: dict[str, Any] = {
    "required": True,
    "description": "A JSON Resume v1.0.0 document, as `GET /api/v1/resume` answers one and "
    "`cms import` takes; at most `RESUME_MAX_BYTES` bytes "
    f"({_MAX_BYTES:,} by default).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ResumePublic"}}},
}
"""The body of ``PUT /api/v1/resume`` (read by the route itself, so declared here)."""

WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    405: error(
        "No token: writes to the public API need one (`Allow` lists the path's methods)",
        headers={
            "Allow": {"description": "The methods of this path.", "schema": {"type": "string"}}
        },
    ),
    413: error("The body is larger than `RESUME_MAX_BYTES`; nothing was read or written"),
    503: unavailable("nothing was written"),
}
"""The answers of a write besides its own: no token, a body too large, no database."""
