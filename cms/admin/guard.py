"""ASGI middleware for /admin: what the back office refuses to read, and headers on every answer.

SQLAdmin has no CSRF tokens. The cookies are ``SameSite=Strict``, so a cross-site request
arrives without them; as a second wall, any state-changing request whose ``Sec-Fetch-Site``
or ``Origin`` says it came from another site is refused with 403. Requests for a host
``ALLOWED_HOSTS`` does not name, and control characters in the path, the query or a form
field, are refused with 400 before SQLAdmin (or the database) sees them. Every answer gets
the headers of :mod:`cms.admin.headers` (security headers, a CSP with a script nonce made per
request); every failure is an HTML page (:mod:`cms.admin.errors`).

A body is read only from a live session (the login form aside), and only up to its limit
(:mod:`cms.core.bodylimit`): ``BODY_MAX_BYTES`` for a form, ``Settings.upload_max_bytes`` for
one with a file, :data:`~cms.admin.auth.LOGIN_MAX_BYTES` for the login form; over it, a 413
page. Without a session a request goes to the login page with its body unread. ``HEAD`` is
answered as the ``GET`` of the same path, refusals included, without the body: it never reaches
a handler the ``GET`` would not.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from starlette.datastructures import Headers, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cms.admin.auth import CONTROL_CHARACTERS, LOGIN_MAX_BYTES, JWTCookieAuth
from cms.admin.errors import ErrorPages
from cms.admin.headers import add_page_headers, new_nonce
from cms.admin.loginpage import LOGIN_PATH, PASSKEY_LOGIN_PATH, PASSKEY_OPTIONS_PATH
from cms.admin.passkeys import BODY_MAX_BYTES as PASSKEY_MAX_BYTES
from cms.core.bodylimit import BodyTooLarge, capped_receive
from cms.core.config import Settings
from cms.core.hosts import host_allowed, request_host
from cms.media.image import describe_size

__all__ = ["AdminGuard", "is_cross_site"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Logging out changes state: GET /logout is refused, the page's script POSTs it instead.
_STATE_CHANGING_GET_SUFFIXES = ("/logout",)
_STATE_CHANGING_GET_MARKERS = ("/action/",)


def is_cross_site(headers: Headers) -> bool:
    """Whether the browser says this request was made by another site."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in {"same-origin", "none"}:
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    if origin == "null":
        return True
    return urlsplit(origin).netloc.lower() != headers.get("host", "").lower()


def _changes_state(scope: Scope) -> bool:
    if scope["method"] not in SAFE_METHODS:
        return True
    path: str = scope["path"]
    return path.endswith(_STATE_CHANGING_GET_SUFFIXES) or any(
        marker in path for marker in _STATE_CHANGING_GET_MARKERS
    )


# The steps of signing in, each with its body cap: no session exists yet.
_SIGN_IN_LIMITS = {
    PASSKEY_OPTIONS_PATH: PASSKEY_MAX_BYTES,
    PASSKEY_LOGIN_PATH: PASSKEY_MAX_BYTES,
    LOGIN_PATH: LOGIN_MAX_BYTES,
}


def _is_login(scope: Scope) -> bool:
    """A step of signing in (the form, a passkey's challenge and answer): no session yet.

    Each counts malformed attempts against the throttle itself.
    """
    return str(scope["path"]).endswith(tuple(_SIGN_IN_LIMITS))


def _too_large(limit: int) -> str:
    return (
        f"Too much to send at once: at most {describe_size(limit)} ({limit:,} bytes) are "
        "accepted here. Choose a smaller file or shorten the text, then try again."
    )


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _content_type(scope: Scope) -> str:
    return Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()


async def _form_has_controls(scope: Scope, body: bytes) -> bool:
    content_type = _content_type(scope)
    if content_type == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        return any(CONTROL_CHARACTERS.search(k + v) for k, v in pairs)
    if content_type != "multipart/form-data":
        return False
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    form = await Request(scope, replay).form()
    try:
        return any(
            not isinstance(value, UploadFile) and CONTROL_CHARACTERS.search(key + value)
            for key, value in form.multi_items()
        )
    finally:
        await form.close()


class AdminGuard:
    """Refuse what the back office must not read; headers and error pages on every answer."""

    def __init__(
        self, app: ASGIApp, *, settings: Settings, pages: ErrorPages, auth: JWTCookieAuth
    ) -> None:
        self.app = app
        self.pages = pages
        self.auth = auth
        self.allowed_hosts = settings.allowed_hosts
        self.body_max_bytes = settings.body_max_bytes
        self.upload_max_bytes = settings.upload_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        is_static = "/statics/" in scope["path"] or "/assets/" in scope["path"]
        nonce = new_nonce(scope)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                message["headers"] = headers
                add_page_headers(headers, nonce, static=is_static)
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            response, receive = await self._screen(scope, receive)
            if response is None:
                await self.app(scope, receive, send_with_headers)
                return
        except Exception as exc:
            if started:
                raise
            response = await self.pages.for_exception(scope, exc)
        await response(scope, receive, send_with_headers)

    async def _screen(self, scope: Scope, receive: Receive) -> tuple[Response | None, Receive]:
        """A refusal to answer instead of the app, and the ``receive`` the app reads from."""
        refusal = await self._refusal(scope)
        if refusal is None and scope["method"] not in SAFE_METHODS:
            login = _is_login(scope)
            if not login and (to_login := await self.auth.unless_logged_in(Request(scope))):
                to_login.headers["Connection"] = "close"  # stop the client sending the body
                return to_login, receive
            limit = self._body_limit(scope)
            try:
                body = await _read_body(capped_receive(scope, receive, limit))
            except BodyTooLarge as exc:
                headers = dict(exc.headers) if exc.headers else None
                return await self.pages.page(scope, 413, _too_large(exc.limit), headers), receive
            if not login and await _form_has_controls(scope, body):
                refusal = (400, "The form holds control characters; remove them and try again.")
            receive = _replaying(body, receive)
        if refusal is not None:
            return await self.pages.page(scope, *refusal), receive
        return None, receive

    def _body_limit(self, scope: Scope) -> int:
        path = str(scope["path"])
        for suffix, limit in _SIGN_IN_LIMITS.items():
            if path.endswith(suffix):
                return limit
        if _content_type(scope) == "multipart/form-data":
            return self.upload_max_bytes
        return self.body_max_bytes

    async def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers = Headers(scope=scope)
        if not host_allowed(request_host(headers), self.allowed_hosts):
            return 400, "This address is not served here."
        if _changes_state(scope) and is_cross_site(headers):
            return 403, "Cross-site request refused: use the back office from its own pages."
        if scope["method"] == "GET" and scope["path"].endswith(_STATE_CHANGING_GET_SUFFIXES):
            return 405, "Log out with the Logout button: a link never changes anything here."
        query = scope.get("query_string", b"").decode("latin-1")
        pairs = parse_qsl(query, keep_blank_values=True)
        if CONTROL_CHARACTERS.search(scope["path"]) or any(
            CONTROL_CHARACTERS.search(k + v) for k, v in pairs
        ):
            return 400, "The address holds control characters; remove them and try again."
        return None


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the already-read body over once, then defers to the client."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
