"""The back office's login page and the files it loads, answerable before the back office is built.

A cold container's first request to the back office is its login page, and building the back
office (SQLAlchemy, SQLModel, SQLAdmin and every view) costs most of a second. So while the
full app does not exist yet, the read path (:class:`cms.public.readpath.ReadPath`) asks
:func:`answer_before_build` first: ``GET /admin/login`` is answered by :func:`answer_login_page`
(the same template, rendered in SQLAdmin's environment as the back office sets it up,
:func:`login_page_environment`, linking to the routes the back office mounts,
:func:`login_page_routes`, their paths written here once), the styles and scripts it loads as
the back office serves them, each with the headers of :mod:`cms.admin.headers`. Once the full
app is built it answers them itself; ``tests/admin/test_login_page.py`` proves both give the
same bytes, nonce aside. Jinja2 and Starlette's routing are imported on the first call: the
public read path never pays.
"""

from __future__ import annotations

import importlib.util
import os
import stat
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from cms.admin.headers import add_page_headers, csp_nonce, new_nonce

if TYPE_CHECKING:
    from jinja2 import BaseLoader, Environment, Template
    from starlette.routing import Router
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "ADMIN_PREFIX",
    "ADMIN_TITLE",
    "ASSETS_PATH",
    "LOGIN_PAGE",
    "LOGIN_PATH",
    "PASSKEY_LOGIN_PATH",
    "PASSKEY_OPTIONS_PATH",
    "STATIC_DIR",
    "TEMPLATES_DIR",
    "answer_before_build",
    "answer_login_page",
    "login_page_environment",
    "login_page_routes",
    "template_loader",
]

_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR: Final = _ROOT / "templates"
STATIC_DIR: Final = _ROOT / "static"
ADMIN_TITLE: Final = "Portfolio CMS"

# Where the back office and the routes its login page links to are mounted.
ADMIN_PREFIX: Final = "/admin"
LOGIN_PATH: Final = "/login"
ASSETS_PATH: Final = "/assets"
STATICS_PATH: Final = "/statics"  # SQLAdmin's own files (its Mount is named "statics")
PASSKEY_OPTIONS_PATH: Final = "/passkey/options"
PASSKEY_LOGIN_PATH: Final = "/passkey/login"
LOGIN_PAGE: Final = ADMIN_PREFIX + LOGIN_PATH
LOGIN_TEMPLATE: Final = "sqladmin/login.html"


def _sqladmin_folder() -> Path:
    """SQLAdmin's package folder, found without importing it (it imports SQLAlchemy)."""
    spec = importlib.util.find_spec("sqladmin")
    assert spec is not None and spec.submodule_search_locations, "SQLAdmin is not installed"
    return Path(spec.submodule_search_locations[0])


def template_loader() -> BaseLoader:
    """Our templates over SQLAdmin's, which stay reachable as ``sqladmin_original/…``.

    SQLAdmin's are found without importing it (a ``PackageLoader`` would).
    """
    from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

    sqladmin_templates = _sqladmin_folder() / "templates"
    return ChoiceLoader(
        [
            FileSystemLoader(TEMPLATES_DIR),
            PrefixLoader({"sqladmin_original": FileSystemLoader(sqladmin_templates / "sqladmin")}),
            FileSystemLoader(sqladmin_templates),
        ]
    )


def login_page_environment() -> Environment:
    """SQLAdmin's template environment (``sqladmin.templating``: autoescaped, async; null
    translations), holding what the login page's templates read."""
    from jinja2 import Environment, pass_context

    @pass_context
    def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> Any:
        return context["request"].url_for(name, **path_params)

    environment = Environment(
        loader=template_loader(),
        autoescape=True,
        enable_async=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    environment.globals.update(url_for=url_for, admin=_LoginPageAdmin(), csp_nonce=csp_nonce)
    return environment


class _LoginPageAdmin:
    """What the login page's templates read of SQLAdmin's ``Admin``."""

    title = ADMIN_TITLE
    favicon_url = None


def login_page_routes() -> Router:
    """The names the login page's links resolve (``url_for('admin:…')``) at their paths."""
    from starlette.routing import Mount, Route, Router

    def never(request: Any) -> None:  # pragma: no cover - only its URL is asked for
        raise NotImplementedError

    return Router(
        [
            Mount(
                ADMIN_PREFIX,
                name="admin",
                routes=[
                    Route("/", never, name="index"),
                    Route(LOGIN_PATH, never, name="login"),
                    Route(PASSKEY_OPTIONS_PATH, never, name="passkey-options"),
                    Route(PASSKEY_LOGIN_PATH, never, name="passkey-login"),
                    Mount(STATICS_PATH, routes=[], name="statics"),
                    Mount(ASSETS_PATH, routes=[], name="assets"),
                ],
            )
        ]
    )


@cache
def _login_page() -> tuple[Template, Router]:
    """The page's template and the routes its links resolve, made on its first answer."""
    return login_page_environment().get_template(LOGIN_TEMPLATE), login_page_routes()


def _with_headers(send: Send, nonce: str, *, static: bool) -> Send:
    """``send``, adding the back office's headers to the answer (as its guard does)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            add_page_headers(headers, nonce, static=static)
            message = {**message, "headers": headers}
        await send(message)

    return sending


async def answer_login_page(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer ``GET /admin/login`` as the back office would, without building it."""
    from starlette.requests import Request
    from starlette.responses import HTMLResponse

    template, routes = _login_page()
    scope = {**scope, "router": routes}
    nonce = new_nonce(scope)
    response = HTMLResponse(await template.render_async(request=Request(scope, receive)))
    await response(scope, receive, _with_headers(send, nonce, static=False))


class _Files:
    """The files the back office serves under ``mount``, served as its ``StaticFiles`` does."""

    def __init__(self, mount: str, directory: Path) -> None:
        from starlette.staticfiles import StaticFiles

        self.mount = mount
        self.files = StaticFiles(directory=directory)

    def serves(self, path: str) -> bool:
        """Whether ``path`` names one of these files (``StaticFiles``' own lookup)."""
        if not path.startswith(self.mount + "/"):
            return False
        relative = os.path.normpath(os.path.join(*path[len(self.mount) :].split("/")))
        _, found = self.files.lookup_path(relative)
        return found is not None and stat.S_ISREG(found.st_mode)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope = {**scope, "root_path": scope.get("root_path", "") + self.mount}
        nonce = new_nonce(scope)
        await self.files(scope, receive, _with_headers(send, nonce, static=True))


@cache
def _files() -> tuple[_Files, ...]:
    """SQLAdmin's files and ours, found on the first request for one (not at import)."""
    return (
        _Files(ADMIN_PREFIX + STATICS_PATH, _sqladmin_folder() / "statics"),
        _Files(ADMIN_PREFIX + ASSETS_PATH, STATIC_DIR),
    )


def answer_before_build(path: str) -> ASGIApp | None:
    """What answers a plain ``GET`` of ``path`` while the back office is not built: the login
    page, and the files it loads; ``None`` for the rest (the back office answers it).

    A browser asks for the page's styles and scripts at once, and shows the page only with its
    styles: served here, none of them waits for the back office either.
    """
    if path == LOGIN_PAGE:
        return answer_login_page
    if not path.startswith(ADMIN_PREFIX + "/"):
        return None
    return next((files for files in _files() if files.serves(path)), None)
