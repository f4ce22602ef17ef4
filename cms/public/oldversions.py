"""``GET /api/v1/resume?version=N`` for a read-drafts token: the CV as published at version N.

Old versions' stored responses are not kept (a write keeps the current and the previous set),
so the document is rendered from the revisions: the rows as of version N, applied in a
transaction that is rolled back (:func:`cms.content.revert.resume_at`), rendered by the same
code as ``/resume`` itself, drafts left out. Without a token the path does not exist: ``404``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from cms.content.localized import reading_in
from cms.content.revert import VersionError, resume_at
from cms.core.db import engine_settings
from cms.core.jsonerror import error_response
from cms.core.locales import Locales
from cms.public.preview import NO_STORE
from cms.public.versionquery import VERSION_PARAM, requested_version

__all__ = ["VERSION_PARAMETER", "answer_version"]

VERSION_PARAMETER: dict[str, Any] = {
    "name": VERSION_PARAM,
    "in": "query",
    "required": False,
    "description": "With a read-drafts token: the CV as published at this content version "
    "(`X-Content-Version`), for diffs in CI; without a token, or a version older than the "
    "history kept: 404.",
    "schema": {"type": "integer", "minimum": 0},
}
"""The parameter as the OpenAPI document declares it on ``/api/v1/resume``."""

_HEADERS = {"Cache-Control": NO_STORE}


async def answer_version(query: str, asked: str | None, session: Any, drafts: bool) -> Response:
    """The resume at the version ``query`` names, in locale ``asked`` (``None``: the default),
    and ``404`` without a read-drafts token."""
    if not drafts:
        return error_response(404, "Not Found")
    locales = Locales(engine_settings(session.get_bind()).locales)
    locale = locales.find(asked)
    if locale is None:
        assert asked is not None
        return error_response(404, locales.unknown(asked), details=locales.unknown_details(asked))
    version = requested_version(query)
    if version is None:
        details = [
            {
                "type": "int_parsing",
                "loc": ["query", VERSION_PARAM],
                "msg": "Input should be one non-negative integer, and the only parameter",
            }
        ]
        return error_response(422, "Invalid request", details=details, headers=_HEADERS)
    try:
        with reading_in(locale, default=locale == locales.default):
            rendered = await resume_at(session.bind, version)
    except VersionError as exc:
        return error_response(404, str(exc), headers=_HEADERS)
    headers = _HEADERS | {
        "X-Content-Version": str(version),
        "ETag": rendered.etag,
        "Content-Language": locale,
    }
    return Response(rendered.body, media_type=rendered.media_type, headers=headers)
