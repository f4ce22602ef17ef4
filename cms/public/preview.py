"""The owner's view of the public API: a token shows drafts, never through any cache.

A ``GET`` carrying ``Authorization: Bearer <token>`` or ``X-API-Key: <token>`` is sent by the read
path (:mod:`cms.public.readpath`) to the full app, whose public routes take :data:`DraftsDep`: a
``read-drafts`` token shows the CV with its drafts (same shapes, same paths), answered with
``Cache-Control: private, no-store`` and never stored; any other token is a ``401``. Without a
token nothing changes: the read path answers from the stored, published responses.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, Response
from starlette.datastructures import Headers

from cms.core.deps import SessionDep
from cms.core.tokenhash import READ_DRAFTS
from cms.core.tokens import find_token

__all__ = ["NO_STORE", "DraftsDep", "presented_token", "require_token", "shows_drafts"]

NO_STORE = "private, no-store"
_TOKEN_HELP = "A read-drafts token: drafts are shown too (private, no-store); a bad one: 401."


def presented_token(headers: Headers) -> str | None:
    """The token a request presents (``Authorization: Bearer`` or ``X-API-Key``), if any."""
    authorization = headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    key = headers.get("x-api-key", "").strip()
    return key or None


async def require_token(request: Request, session: SessionDep, scope: str) -> str:
    """The name of the live token with ``scope`` this request presents; else ``401``.

    The token's last use is recorded (committed here: a read session commits nothing else).
    """
    token = presented_token(request.headers)
    found = None if token is None else await find_token(session, token, scope=scope)
    if found is None:
        raise HTTPException(
            401,
            f"A valid {scope} token is needed (Authorization: Bearer <token> or X-API-Key)",
            headers={"WWW-Authenticate": "Bearer", "Cache-Control": NO_STORE},
        )
    name = found.name
    await session.commit()
    return name


async def shows_drafts(
    request: Request,
    response: Response,
    session: SessionDep,
    # Declared for the OpenAPI document (both optional); read by presented_token.
    x_api_key: Annotated[str | None, Header(description=_TOKEN_HELP)] = None,
    authorization: Annotated[str | None, Header(description=f"Bearer: {_TOKEN_HELP}")] = None,
) -> bool:
    """Whether to show drafts: only for a live ``read-drafts`` token (else 401 for a bad one)."""
    if presented_token(request.headers) is None:
        return False
    await require_token(request, session, READ_DRAFTS)
    response.headers["Cache-Control"] = NO_STORE
    return True


DraftsDep = Annotated[bool, Depends(shows_drafts)]
