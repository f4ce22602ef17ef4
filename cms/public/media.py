"""``/media/<id>/<variant>.webp``: uploaded images, served by the public read path.

Light like the read path (the standard library and Starlette): :mod:`cms.public.readpath` hands
every request under ``/media`` to :func:`serve_media`. Variants are content-addressed, so an
answer never changes: a strong ETag (the one stored with the variant), ``304`` for a matching
``If-None-Match``, ``Cache-Control: public, max-age=31536000, immutable``, ``image/webp``. Only
images a public entry shows are served (``media.published``, kept by the write rules): an image
only a draft shows is a ``404``, as is any other path.

Each instance keeps the variants it served in memory (:data:`MEMORY_MAX_BYTES`, least recently
used first out), valid for the content version they were read at: publishing or unpublishing
moves the version, and a variant is read again at most one version check after (the check the
stored responses share, :class:`cms.public.instancecache.InstanceCache`). With ``MEDIA_STORAGE=s3``
the bytes come from the bucket (boto3, imported on first use); with ``MEDIA_PUBLIC_BASE_URL``
the responses point at the CDN and this path is not used by the site at all.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from cms.core.etags import if_none_match
from cms.core.jsonerror import error_response
from cms.media.s3 import IMMUTABLE, S3Objects
from cms.media.urls import MEDIA_PATH, MEDIA_PREFIX
from cms.public.httpcache import request_path

__all__ = ["MEDIA_PREFIX", "MEMORY_MAX_BYTES", "VARIANT_SQL", "MediaServer", "serve_media"]

logger = logging.getLogger(__name__)

VARIANT_SQL = (
    "SELECT v.content_type, v.etag, v.data FROM media_variants v "
    "JOIN media m ON m.id = v.media_id WHERE v.media_id = {} AND v.name = {} AND m.published"
)
"""A published variant by (media id, name): content type, ETag, bytes (none when in S3)."""

MEMORY_MAX_BYTES = 32 * 1024 * 1024  # variants one instance keeps in memory, all together
_ALLOW = "GET, HEAD"


@dataclass(frozen=True, slots=True)
class _Held:
    """A variant ready to send, as read at one content version."""

    version: int
    content_type: bytes
    etag: str
    body: bytes


class MediaServer:
    """The variants one read path serves, and those it keeps in memory."""

    def __init__(self, read_path: Any) -> None:
        self.database = read_path.database
        self.cache = read_path.cache
        self.settings = read_path.settings
        self.held: OrderedDict[tuple[str, str], _Held] = OrderedDict()
        self.held_bytes = 0
        self._bucket: S3Objects | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            message = "Method Not Allowed: images are read-only"
            response = error_response(405, message, headers={"Allow": _ALLOW})
            await self._send(response, scope, receive, send)
            return
        found = MEDIA_PATH.fullmatch(request_path(scope))
        if found is None:
            await self._send(error_response(404, "Not Found"), scope, receive, send)
            return
        key = (found.group("id"), found.group("variant"))
        answer = await self._variant(key)
        if isinstance(answer, Response):
            await self._send(answer, scope, receive, send)
            return
        held, label = answer
        condition = Headers(scope=scope).get("if-none-match")
        headers = [
            (b"etag", held.etag.encode()),
            (b"cache-control", IMMUTABLE.encode()),
            (b"x-cache", label),
        ]
        if if_none_match(condition, held.etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers += [
            (b"content-type", held.content_type),
            (b"content-length", str(len(held.body)).encode()),
            (b"x-content-type-options", b"nosniff"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        body = b"" if method == "HEAD" else held.body
        await send({"type": "http.response.body", "body": body})

    async def _variant(self, key: tuple[str, str]) -> tuple[_Held, bytes] | Response:
        """The variant to send and how it came (``X-Cache``), or the error to send instead."""
        version = await self.cache.version()
        held = self.held.get(key)
        if held is not None and (version is None or held.version == version):
            # Bytes never change under an id: with the database down, memory is still right.
            self.held.move_to_end(key)
            return held, b"HIT" if version is not None else b"STALE"
        if version is None:
            return self._unavailable("The database is unavailable")
        try:
            row = await asyncio.wait_for(self.database.media_variant(*key), self.cache.timeout)
        except Exception as exc:  # any failure to read means "database unavailable"
            logger.warning("reading image %s/%s failed (%s)", *key, type(exc).__name__)
            if held is not None:
                return held, b"STALE"
            return self._unavailable("The database is unavailable")
        if row is None:
            self._forget(key)
            return error_response(404, "Not Found")
        content_type, etag, data = row
        if data is None:
            try:
                data = await asyncio.to_thread(self._objects().get, *key)
            except Exception as exc:  # the bucket did not answer: say so, try again later
                logger.warning("reading image %s/%s from the bucket failed (%r)", *key, exc)
                return self._unavailable("The image store is unavailable")
        held = _Held(version, str(content_type).encode("latin-1"), str(etag), bytes(data))
        self._remember(key, held)
        return held, b"MISS"

    def _objects(self) -> S3Objects:
        if self._bucket is None:
            self._bucket = S3Objects.from_settings(self.settings)
        return self._bucket

    def _remember(self, key: tuple[str, str], held: _Held) -> None:
        self._forget(key)
        if len(held.body) > MEMORY_MAX_BYTES // 4:
            return  # one huge variant must not empty the memory of every other
        self.held[key] = held
        self.held_bytes += len(held.body)
        while self.held_bytes > MEMORY_MAX_BYTES:
            _, oldest = self.held.popitem(last=False)
            self.held_bytes -= len(oldest.body)

    def _forget(self, key: tuple[str, str]) -> None:
        old = self.held.pop(key, None)
        if old is not None:
            self.held_bytes -= len(old.body)

    def _unavailable(self, message: str) -> Response:
        retry_after = str(max(1, round(self.cache.check_interval)))
        headers = {"Retry-After": retry_after, "Cache-Control": "no-store"}
        return error_response(503, f"{message}; try again shortly", headers=headers)

    async def _send(self, response: Response, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "HEAD":
            response.body = b""  # Content-Length stays that of the GET body
        await response(scope, receive, send)


_servers: weakref.WeakKeyDictionary[Any, MediaServer] = weakref.WeakKeyDictionary()


async def serve_media(read_path: Any, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a request under ``/media`` for ``read_path`` (its database, version checks)."""
    server = _servers.get(read_path)
    if server is None:
        server = _servers[read_path] = MediaServer(read_path)
    await server(scope, receive, send)
