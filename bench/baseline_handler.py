"""The baselines of bench/cold_start.py: bare Starlette and bare FastAPI apps behind Mangum.

Each answers ``GET`` (and ``POST``) with the bytes of ``BENCH_BODY_FILE`` (the document the CMS
serves, so both send the same bytes) or a small constant.
"""

from __future__ import annotations

import os
from pathlib import Path

from mangum import Mangum

_FILE = os.environ.get("BENCH_BODY_FILE")
BODY = Path(_FILE).read_bytes() if _FILE else b'{"hello":"world"}'

if os.environ.get("BENCH_BASELINE") == "fastapi":
    from fastapi import FastAPI
    from fastapi.responses import Response

    fastapi_app = FastAPI()

    @fastapi_app.api_route("/{path:path}", methods=["GET", "POST"])
    async def document(path: str) -> Response:
        """The same bytes for every path."""
        return Response(BODY, media_type="application/json")

    handler = Mangum(fastapi_app, lifespan="off")
else:
    from starlette.applications import Starlette
    from starlette.responses import Response as StarletteResponse
    from starlette.routing import Route

    async def document(request: object) -> StarletteResponse:
        """The same bytes for every path."""
        return StarletteResponse(BODY, media_type="application/json")

    starlette_app = Starlette(routes=[Route("/{path:path}", document, methods=["GET", "POST"])])
    handler = Mangum(starlette_app, lifespan="off")
