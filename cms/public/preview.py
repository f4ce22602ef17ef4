"""The owner's view of the public API: a token shows drafts, never through any cache.

A ``GET`` carrying a well-formed token (``Authorization: Bearer <token>`` or ``X-API-Key:
<token>``, :func:`cms.core.tokenhash.presented_token`) is sent by the read path
(:mod:`cms.public.readpath`) to the full app, whose public routes take :data:`DraftsDep`: a
``read-drafts`` token shows the CV with its drafts (same shapes, same paths), answered with
``Cache-Control: private, no-store`` and never stored; any other token is a ``401``. Without a
token (and with any header value that is not one) nothing changes: the read path answers from
the stored, published responses.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, Response

from cms.core.deps import SessionDep
from cms.core.tokenhash import READ_DRAFTS, presented_token
from cms.core.tokens import find_token

__all__ = ["NO_STORE", "DraftsDep", "require_token", "shows_drafts"]

NO_STORE = "private, no-store"
_TOKEN_HELP = "A read-drafts token: drafts are shown too (private, no-store); a bad one: 401."


async def require_token(request: Request, session: SessionDep, scope: str) -> str:
    """The name of the live token with ``scope`` this request presents; else ``401``.

    The token's last use is recorded (committed here: a read session commits nothing else).
    """
    token = presented_token(request.headers.raw)
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
    if presented_token(request.headers.raw) is None:
        return False
    await require_token(request, session, READ_DRAFTS)
    response.headers["Cache-Control"] = NO_STORE
    return True


DraftsDep = Annotated[bool, Depends(shows_drafts)]
