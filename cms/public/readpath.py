"""The public read path: one small ASGI app answering every public ``GET`` from stored responses.

Under uvicorn (``create_app``) and on Lambda (``lambda_handler``) alike, this app answers
``/health``, ``/cv`` and everything under ``/api`` (``/api/…`` being ``/api/v1/…``): the
responses the writes published (:mod:`cms.content.publish`), filters and details cut from them
by the rules stored with them (:mod:`cms.content.queries`), ``HEAD``, ``OPTIONS``, ``405`` for
writes, ``304``, CORS; and the uploaded images under ``/media``. It imports neither FastAPI nor
SQLAlchemy nor pydantic: a cold Lambda answers without them. Everything else (the admin,
``/docs``, a path nothing is published at, a request with a token of ours) goes to the full app
(``cms.main``), built on first need when not given. Until it is built, a plain ``GET`` of a
path for which ``before_build`` names an app is answered by that app (on Lambda, the back
office's login page and its files: :mod:`cms.admin.loginpage`), so the login page does not cost
a cold container the full app.

**Locales.** Responses are stored per locale; ``?locale=`` picks one (:mod:`cms.core.locales`),
an unknown one is a ``404`` listing them. The snapshot is keyed by path and locale: a hit in any
locale is one dictionary lookup; the answer carries ``Content-Language``.

**Releases.** It serves the newest stored set whatever code rendered it: telling would take the
rendering code (the imports a cold start avoids), and a set is complete and consistent in itself
(its query rules are stored with it). A release publishes its own set on its deploy step
(:func:`cms.content.publish.publish_release`), and on Lambda at the latest on its next
scheduled event (:func:`cms.main.on_schedule`).

**Freshness.** An instance trusts the content version it last read for
``cache_version_check_interval`` seconds, then asks the database (one ``SELECT`` on
``content_version``, one check in flight at a time). For a new version it loads every response
stored for it with one query (one load in flight), so a write is served by every instance at
most one interval after its commit; a write through the full app in this process is served at
once (the app's commits make this instance ask again).

**Failures.** When the database does not answer, the last snapshot this instance holds answers
every path it can (``X-Cache: STALE``, ``X-Cache-Stale: database-unavailable``); with nothing in
memory, a ``503``. After a failed check the instance answers from memory for one interval before
asking again. Query strings never evict a response (:mod:`cms.public.instancecache`).

Database access: :mod:`cms.public.readdb`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cms.content import queries
from cms.core.etags import make_etag
from cms.core.hosts import HostGuardMiddleware
from cms.core.jsonerror import error_response
from cms.core.locales import Locales, split_locale
from cms.core.readsettings import ReadSettings
from cms.core.tokenhash import presented_token
from cms.public.cors import API_PREFIX, ApiCORSMiddleware, api_cors_options
from cms.public.httpcache import (
    health_payload,
    if_none_match_header,
    is_plain,
    is_under,
    request_path,
    with_current_version,
)
from cms.public.instancecache import CacheEntry, Current, InstanceCache
from cms.public.media import MEDIA_PREFIX, serve_media
from cms.public.methods import allowed_methods, refusal
from cms.public.readdb import open_read_database
from cms.public.versionquery import asks_version

__all__ = ["HEALTH_PATH", "ReadPath"]

logger = logging.getLogger(__name__)

HEALTH_PATH = "/health"
CV_PATH = "/cv"  # the printable CV, a stored response
_PAGES = (HEALTH_PATH, CV_PATH)
_ROUTED = (*_PAGES, API_PREFIX)


class ReadPath:
    """ASGI app: public reads from stored responses; the rest to the full app."""

    def __init__(
        self,
        settings: ReadSettings,
        *,
        app: ASGIApp | None = None,
        build_app: Callable[[], Any] | None = None,
        before_build: Callable[[str], ASGIApp | None] | None = None,
    ) -> None:
        self.settings = settings
        self._app: Any = app
        self._build_app = build_app
        self._before_build = before_build
        database = open_read_database(settings)
        if database is None:
            raise ValueError(
                "The public read path needs PostgreSQL or a SQLite file: "
                f"DATABASE_URL {settings.database_url.partition(':')[0]}:… is neither"
            )
        self.database = database
        self.cache = InstanceCache(database, **InstanceCache.options(settings))
        self.locales = Locales(settings.locales)
        self._cors = ApiCORSMiddleware(self._answer_api, **api_cors_options(settings))
        self._host_guard = HostGuardMiddleware(
            self._route, allowed_hosts=list(settings.allowed_hosts)
        )
        self._any_host = "*" in settings.allowed_hosts
        if app is not None:
            self._listen(app)

    # --- the full app ----------------------------------------------------------------

    @property
    def app(self) -> Any:
        """The full application (``cms.main.create_full_app``), built on first use."""
        if self._app is None:
            if self._build_app is None:
                raise RuntimeError("ReadPath has no full app to build")
            self._app = self._build_app()
            self._listen(self._app)
        return self._app

    @property
    def state(self) -> Any:
        """The full app's ``state`` (settings, engine, sessionmaker)."""
        return self.app.state

    @property
    def app_built(self) -> bool:
        """Whether the full app exists yet."""
        return self._app is not None

    def _listen(self, app: Any) -> None:
        # A write through the full app in this process: ask for the version at once. Imported
        # here, with the full app: SQLAlchemy stays off the read path's cold start.
        from cms.core.db import on_content_commit

        on_content_commit(app.state.engine, self.cache.invalidate)
        app.state.instance_cache = self.cache  # the full app's /health (OpenAPI) reads it

    def invalidate(self) -> None:
        """Distrust the known content version: the next request asks the database."""
        self.cache.invalidate()

    async def dispose(self) -> None:
        """Close every database connection this instance holds (read path and full app)."""
        await self.database.close()
        if self._app is not None:
            await self._app.state.engine.dispose()

    # --- requests --------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = with_current_version(scope)
        path = request_path(scope)
        if self._any_host and (path.startswith(API_PREFIX + "/") or path in _ROUTED):
            await self._route(scope, receive, send, path)  # no redirect: nothing to make relative
        else:
            await self._host_guard(scope, receive, send)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The full app's lifespan (its rebuild poller); on shutdown, close our connection too."""

        async def closing(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.database.close()
            await send(message)

        await self.app(scope, receive, closing)

    async def _route(
        self, scope: Scope, receive: Receive, send: Send, path: str | None = None
    ) -> None:
        path = request_path(scope) if path is None else path
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            if scope["method"] in ("GET", "HEAD") and is_plain(scope):
                # All CORS would add is "Vary: Origin": added here, the hit path stays short.
                await self._answer_api(scope, receive, send, vary=True, path=path, anonymous=True)
            else:
                await self._cors(scope, receive, send)
        elif path == CV_PATH:
            await self._answer_api(scope, receive, send, path=path)  # a stored page, no CORS
        elif path == HEALTH_PATH and scope["method"] in ("GET", "HEAD"):
            # The details are the owner's: a token's request goes to the app, which checks it.
            await (self.app if _has_token(scope) else self._health)(scope, receive, send)
        elif is_under(scope, MEDIA_PREFIX):
            await serve_media(self, scope, receive, send)
        elif (early := self._answer_before_build(scope, path)) is not None:
            await early(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _answer_before_build(self, scope: Scope, path: str) -> ASGIApp | None:
        """What answers a plain ``GET`` of ``path`` while the full app is not built, if any."""
        if self._app is not None or self._before_build is None or not _is_plain_get(scope):
            return None
        return self._before_build(path)

    async def _answer_api(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        vary: bool = False,
        path: str | None = None,
        anonymous: bool = False,
    ) -> None:
        """Answer a public read from stored documents (``anonymous``: known to carry no token)."""
        method = scope["method"]
        path = request_path(scope) if path is None else path
        if not anonymous and _has_token(scope) and method != "OPTIONS":
            # The owner's preview and resume sync: answered by the full app, never stored
            # (cms.public.preview, cms.public.sync); a write without a token stays a 405 here.
            await self.app(scope, receive, send)
            return
        if method not in ("GET", "HEAD"):
            response: Response
            allow = {"Allow": allowed_methods(path)}
            if method == "OPTIONS":
                response = Response(status_code=204, headers=allow)
            else:
                response = error_response(405, refusal(path, method), headers=allow)
            await response(scope, receive, send)
            return
        asked, query = split_locale(scope.get("query_string", b"").decode("latin-1"))
        head = method == "HEAD"
        # The rules come with the stored set: an instance that holds one checks a request
        # against them before any database work, so a bad query costs no SQL.
        known = self.cache.snapshot
        current = None
        if known is None:
            current = await self.cache.current()
            if current is None:
                await self._unavailable(head, send, vary)
                return
            known = current.snapshot
        wanted = queries.ask(path, query, known.rules_of)
        if wanted is None:  # nothing published there: the app's 404s and redirects, with CORS
            await (self._cors if vary else self.app)(scope, receive, send)
            return
        locale = self.locales.find(asked)
        if locale is None:
            assert asked is not None
            details = self.locales.unknown_details(asked)
            response = error_response(404, self.locales.unknown(asked), details=details)
            await self._send(response, head, send, vary)
            return
        if isinstance(wanted, queries.Invalid):
            # ``?version=`` is for token holders (cms.public.oldversions): not here at all.
            versioned = asks_version(path, query)
            response = (
                error_response(404, "Not Found")
                if versioned
                else error_response(422, "Invalid request", details=wanted.details)
            )
            await self._send(response, head, send, vary)
            return
        current = current or await self.cache.current()
        if current is None:
            await self._unavailable(head, send, vary)
            return
        key = f"{path}?{query}#{locale}"
        found = self._find(current, wanted, key, locale)
        if isinstance(found, str):
            await self._send(error_response(404, found), head, send, vary)
            return
        condition = if_none_match_header(scope)
        await self.cache.respond(found, current.label, head, condition, send, vary=vary)

    def _find(
        self, current: Current, wanted: queries.Stored | queries.Derived, key: str, locale: str
    ) -> CacheEntry | str:
        """The entry answering ``wanted`` in ``locale`` (asked as ``key``) from ``current``, or
        a 404 message."""
        snapshot = current.snapshot
        if not snapshot.responses and not snapshot.not_found:
            return "Not Found"
        stored = snapshot.responses.get((wanted.path, locale))
        if stored is None:
            return snapshot.not_found.get((wanted.path, locale), "Not Found")
        if isinstance(wanted, queries.Stored):
            return stored
        kept = self.cache.recall(key, snapshot.version)
        if kept is not None:
            return kept
        if stored.parsed is None:
            stored.parsed = queries.entries(stored.body)
        body = queries.select(stored.parsed, wanted)
        if body is None:
            return wanted.missing
        headers = [(b"content-type", b"application/json"), (b"content-language", locale.encode())]
        entry = self.cache.entry(snapshot.version, headers, body, make_etag(body))
        return self.cache.remember(key, entry)

    async def _send(self, response: Response, head: bool, send: Send, vary: bool = False) -> None:
        if vary:
            response.headers["Vary"] = "Origin"
        if head:
            response.body = b""  # Content-Length stays that of the GET body
        await response({"type": "http"}, _no_body, send)

    async def _unavailable(self, head: bool, send: Send, vary: bool) -> None:
        self.cache.count_unavailable()
        retry_after = str(max(1, math.ceil(self.cache.check_interval)))
        response = error_response(
            503,
            "The database is unavailable and this response is not cached; try again shortly",
            headers={"Retry-After": retry_after, "Cache-Control": "no-store"},
        )
        await self._send(response, head, send, vary)

    async def _health(self, scope: Scope, receive: Receive, send: Send) -> None:
        body, status = await health_payload(self.settings.service_name, self.cache)
        await self._send(JSONResponse(body, status_code=status), scope["method"] == "HEAD", send)


def _has_token(scope: Scope) -> bool:
    """Whether the request presents a well-formed token: only such a request leaves the cache."""
    return presented_token(scope["headers"]) is not None


def _is_plain_get(scope: Scope) -> bool:
    """A ``GET`` without a query string: what a page answered before the build may take."""
    return scope["method"] == "GET" and not scope.get("query_string")


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}
