"""The body cap on its own: which limit a path gets, what an app reads, what escapes as 413."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from cms.core.bodylimit import BodyLimit, limits_by_path


async def _echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    """A bare ASGI app that reads the whole body and answers its length."""
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


def _client(limit: int) -> httpx.AsyncClient:
    app = BodyLimit(_echo_length, limit=limits_by_path({"/big": 4 * limit}, default=limit))
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.parametrize(
    ("path", "root_path", "expected"),
    [
        ("/big", "", 400),
        ("/big/deeper", "", 400),
        ("/bigger", "", 100),
        ("/other", "", 100),
        ("/prod/big", "/prod", 400),
        ("/prod/other", "/prod", 100),
    ],
)
def test_the_longest_matching_prefix_wins_without_the_root_path(
    path: str, root_path: str, expected: int
) -> None:
    limit = limits_by_path({"/big": 400, "/big/deeper/still": 900}, default=100)
    assert limit({"type": "http", "path": path, "root_path": root_path}) == expected


async def test_a_body_within_the_limit_reaches_the_app_whole() -> None:
    async with _client(1000) as client:
        at_limit = await client.post("/other", content=b"x" * 1000)
        big = await client.post("/big", content=b"x" * 4000)
    assert (at_limit.status_code, at_limit.text) == (200, "1000")
    assert (big.status_code, big.text) == (200, "4000")


async def test_a_body_over_the_limit_is_a_json_413_declared_or_streamed() -> None:
    pulled = 0

    async def stream() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(100):
            pulled += 1
            yield b"x" * 100

    async with _client(1000) as client:
        declared = await client.post("/other", content=b"x" * 1001)
        streamed = await client.post("/other", content=stream())
        staged = await client.post("/prod/big", content=b"x" * 1001)  # not under /big here
    for response in (declared, streamed, staged):
        assert response.status_code == 413
        body = response.json()
        assert set(body) == {"error", "status_code", "timestamp"}
        assert body["status_code"] == 413
        assert "at most 1,000 bytes" in body["error"]
        assert response.headers["connection"] == "close"
    assert pulled <= 11
