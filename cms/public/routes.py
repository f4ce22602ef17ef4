"""The public API's routes, generated from what is published (DESIGN §4).

Every read takes ``?locale=`` (:mod:`cms.core.locales`): the response in that locale, with
``Content-Language``; an unknown locale is a ``404`` that lists the locales.

One ``GET`` route per response of :data:`cms.content.publish.PUBLISHED` (each section's list,
personal info, technologies, ``/resume``, the printable ``/cv``), plus ``/{list}/{key}`` where a
record declares a detail. A request is checked with the rules stored with the response
(:func:`cms.content.queries.ask`) and answered with the same cut of the rendered list as the read
path's, so both give the same bytes and the same ``422`` details. Without a token the read path
(:mod:`cms.public.readpath`) answers these paths from the stored responses; the routes render
for the owner's preview (a read-drafts token: drafts shown, never stored) and give the OpenAPI
document its operations.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.responses import Response

from cms.content import queries
from cms.content.localized import reading_in
from cms.content.publish import PUBLISHED, render
from cms.content.response import Published
from cms.core.db import engine_settings
from cms.core.deps import SessionDep
from cms.core.jsonerror import error_response
from cms.core.locales import Locales, split_locale
from cms.public.instancecache import page_headers
from cms.public.oldversions import VERSION_PARAMETER, answer_version
from cms.public.openapi import ANONYMOUS_TOO, IF_NONE_MATCH, LOCALE, TOKEN, read_responses
from cms.public.preview import NO_STORE, DraftsDep
from cms.public.versionquery import RESUME_PATH, asks_version

__all__ = ["router"]

router = APIRouter()


async def _answer(
    published: Published, path: str, request: Request, session: Any, drafts: bool
) -> Response:
    asked, query = split_locale(request.scope.get("query_string", b"").decode("latin-1"))
    if asks_version(path, query):  # an earlier version, for token holders (cms.public.oldversions)
        return await answer_version(query, asked, session, drafts)
    wanted = queries.ask(path, query, {published.path: published.rules}.get)
    if wanted is None:
        return error_response(404, "Not Found")
    locales = Locales(engine_settings(session.get_bind()).locales)
    locale = locales.find(asked)
    if locale is None:
        assert asked is not None
        return error_response(404, locales.unknown(asked), details=locales.unknown_details(asked))
    if isinstance(wanted, queries.Invalid):
        return error_response(422, "Invalid request", details=wanted.details)
    with reading_in(locale, default=locale == locales.default):
        rendered = await render(session, published, drafts=drafts)
    if rendered.status != 200:
        return error_response(rendered.status, rendered.body.decode())
    body: bytes | None = rendered.body
    if isinstance(wanted, queries.Derived):
        body = queries.select(queries.entries(rendered.body), wanted)
        if body is None:
            return error_response(404, wanted.missing)
    response = Response(body, media_type=rendered.media_type)
    response.headers["Content-Language"] = locale
    for name, value in page_headers(rendered.media_type):
        response.headers[name.decode()] = value.decode()
    if drafts:
        response.headers["Cache-Control"] = NO_STORE
    return response


def _add_routes(published: Published) -> None:
    """``GET`` the response (and its detail path, if the record declares one)."""

    async def answer(request: Request, session: SessionDep, drafts: DraftsDep) -> Response:
        return await _answer(published, published.path, request, session, drafts)

    html = published.model is None
    filters = [item.parameter() for item in published.rules.filters]
    missing = None if published.missing == "Not Found" else published.missing
    if published.path == RESUME_PATH:
        filters.append(VERSION_PARAMETER)
        missing = "No such version (or no token: earlier versions are for token holders)"
    router.add_api_route(
        published.path,
        answer,
        methods=["GET"],
        name=published.name,
        operation_id=published.name,
        summary=published.summary.rstrip("."),
        description=published.summary,
        tags=[published.tag] if published.tag else None,
        response_model=None if html else published.model,
        response_class=HTMLResponse if html else JSONResponse,
        responses=read_responses(missing),
        dependencies=TOKEN,
        openapi_extra={
            "parameters": [*filters, LOCALE, IF_NONE_MATCH],
            "security": ANONYMOUS_TOO,
        },
    )
    detail = published.rules.detail
    if detail is None or published.section is None:
        return

    async def answer_one(request: Request, session: SessionDep, drafts: DraftsDep) -> Response:
        key = request.path_params[detail.param]
        return await _answer(published, f"{published.path}/{key}", request, session, drafts)

    one = published.section.public
    label = published.section.admin.label.lower()
    name = "get_" + one.__name__.removesuffix("Public").lower()
    router.add_api_route(
        f"{published.path}/{{{detail.param}}}",
        answer_one,
        methods=["GET"],
        name=name,
        operation_id=name,
        summary=f"One published {label} by {' or '.join(detail.by)}",
        description=f"One published {label} by {' or '.join(detail.by)}.",
        tags=[published.tag],
        response_model=one,
        responses=read_responses("Not published"),
        dependencies=TOKEN,
        openapi_extra={
            "parameters": [detail.parameter(), LOCALE, IF_NONE_MATCH],
            "security": ANONYMOUS_TOO,
        },
    )


for _published in PUBLISHED:
    _add_routes(_published)
