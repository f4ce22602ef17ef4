"""``GET /cv``: the printable CV as an HTML page, a stored document like the API's.

Rendered on write from the published CV (:mod:`cms.public.documents`) and answered by the read
path with an ETag; with a read-drafts token the full app renders it with drafts, never stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from cms.core.deps import SessionDep
from cms.public.preview import NO_STORE, DraftsDep
from cms.public.routes import NoQuery

__all__ = ["CV_PATH", "router"]

CV_PATH = "/cv"

router = APIRouter(tags=["cv"])


@router.get(CV_PATH, response_class=HTMLResponse, operation_id="get_cv")
async def get_cv(
    session: SessionDep, query: Annotated[NoQuery, Query()], drafts: DraftsDep
) -> HTMLResponse:
    """The published CV as a printable HTML page (A4 and Letter)."""
    # Imported here: Jinja2 stays off the app's start (the admin imports it when first used).
    from cms.content.jsonresume import export_resume
    from cms.public.cv import render_cv

    resume = await export_resume(session, include_drafts=drafts)
    headers = {"Cache-Control": NO_STORE} if drafts else None
    return HTMLResponse(render_cv(resume), headers=headers)
