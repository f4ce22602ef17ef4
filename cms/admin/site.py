"""Build the SQLAdmin application: views, JWT auth, guard middleware, our templates and CSS."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from cms.admin.account_pages import account_views
from cms.admin.auth import JWTCookieAuth
from cms.admin.dashboard import CMSAdmin
from cms.admin.errors import ErrorPages
from cms.admin.formatters import list_footer_gettext
from cms.admin.guard import AdminGuard
from cms.admin.headers import csp_nonce
from cms.admin.history import EntryHistoryView, TrashView, history_link
from cms.admin.images import image_preview
from cms.admin.locales import TranslationView, locale_switcher
from cms.admin.loginpage import ADMIN_PREFIX, ADMIN_TITLE, ASSETS_PATH, STATIC_DIR, TEMPLATES_DIR
from cms.admin.passkey_login import PasskeyLogin
from cms.admin.passkey_pages import PasskeysView
from cms.admin.preview import preview_link
from cms.admin.rebuild import RebuildView
from cms.admin.resume import ResumeView
from cms.admin.schedule import SchedulingView, schedule_note
from cms.admin.sections import ALL_VIEWS
from cms.admin.versions import VersionRestoreView, VersionsView
from cms.admin.views import write_problems
from cms.content.session import make_sessionmaker
from cms.content.write import WriteError
from cms.core.config import Settings

__all__ = ["build_admin_app"]


class _DropOwnerErrors(logging.Filter):
    """SQLAdmin logs every failed save with a traceback; ours are the owner's typos."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], WriteError)) and not (
            isinstance(record.msg, WriteError)
        )


# Global on purpose: SQLAdmin logs a failed save on its module's logger, shared by every admin
# in the process, inside its own create/edit endpoints, with no hook of its own. The filter only
# drops the owner's WriteErrors, which no app wants logged; one instance, added by every build
# (logging.Filterer.addFilter ignores a filter it already holds), so a process keeps one.
_OWNER_ERRORS = _DropOwnerErrors()


def build_admin_app(*, engine: AsyncEngine, settings: Settings) -> Starlette:
    """The back office as a Starlette app, to be mounted at ``/admin``."""
    # Its own sessionmaker: SQLAdmin reconfigures the one it is given (autoflush off).
    sessionmaker = make_sessionmaker(engine)
    auth = JWTCookieAuth(settings=settings, sessionmaker=sessionmaker)
    pages = ErrorPages()
    admin = CMSAdmin(
        Starlette(),
        settings=settings,
        session_maker=sessionmaker,
        base_url=ADMIN_PREFIX,
        title=ADMIN_TITLE,
        templates_dir=str(TEMPLATES_DIR),
        authentication_backend=auth,
        middlewares=[Middleware(AdminGuard, settings=settings, pages=pages, auth=auth)],
    )
    auth.templates = pages.templates = admin.templates
    admin.templates.env.globals["write_problems"] = write_problems
    admin.templates.env.globals["csp_nonce"] = csp_nonce
    admin.templates.env.globals["_"] = list_footer_gettext(admin.templates.env.globals["_"])
    admin.templates.env.globals["image_preview"] = image_preview
    admin.templates.env.globals["preview_link"] = preview_link(settings)
    admin.templates.env.globals["history_link"] = history_link
    admin.templates.env.globals["schedule_note"] = lambda row: schedule_note(
        row, settings.owner_zone
    )
    admin.templates.env.globals["locale_switcher"] = locale_switcher(settings)
    for view in ALL_VIEWS:
        admin.add_view(view)
    for instance in admin.views:
        if isinstance(instance, SchedulingView):
            instance.owner_zone = settings.owner_zone
    pages_sessions = make_sessionmaker(engine)
    admin.add_view(RebuildView.bound(settings=settings, sessionmaker=pages_sessions))
    admin.add_view(ResumeView.bound(settings=settings, sessionmaker=pages_sessions))
    for history_view in (VersionsView, TrashView, EntryHistoryView, VersionRestoreView):
        admin.add_view(history_view.bound(settings=settings, sessionmaker=pages_sessions))
    admin.add_view(TranslationView.bound(settings=settings, sessionmaker=pages_sessions))
    for account_view in account_views(sessionmaker=pages_sessions):
        admin.add_view(account_view)
    admin.add_view(PasskeysView.bound(settings=settings, sessionmaker=pages_sessions, auth=auth))
    routes = admin.admin.router.routes
    routes.insert(1, Mount(ASSETS_PATH, app=StaticFiles(directory=STATIC_DIR), name="assets"))
    # Logging out changes state: the page's script POSTs it (GET stays for plain links).
    routes.append(Route("/logout", endpoint=admin.logout, methods=["POST"], name="logout-post"))
    routes.extend(PasskeyLogin(auth).routes())
    logging.getLogger("sqladmin.application").addFilter(_OWNER_ERRORS)
    return admin.admin
