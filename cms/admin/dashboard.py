"""The back office's home page and its page-level behaviour (lists of one row, save messages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqladmin import Admin, ModelView
from sqladmin.authentication import login_required
from sqladmin.templating import Jinja2Templates
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col
from starlette.datastructures import URL, FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cms.admin.formatters import format_time
from cms.admin.locales import translation_counts
from cms.admin.loginpage import template_loader
from cms.admin.schedule import format_in_zone
from cms.admin.sections import SingleRowView
from cms.content.schedule import scheduled_changes
from cms.content.sections import SECTIONS
from cms.core.config import Settings
from cms.core.models import AuditLog
from cms.rebuild import RebuildStatus, rebuild_status
from cms.staticpub import static_copy_state

__all__ = ["CMSAdmin", "SectionCount"]

RECENT_CHANGES = 10


@dataclass(frozen=True, slots=True)
class SectionCount:
    """How many entries of a section the public sees, and how many are drafts."""

    label: str
    identity: str
    published: int
    drafts: int


async def _counts(session: AsyncSession) -> list[SectionCount]:
    counts = []
    for section in SECTIONS.values():
        table: Any = section.table
        identity = table.__name__.lower()
        if not section.is_list:
            rows = await session.scalar(select(func.count()).select_from(table))
            counts.append(SectionCount(section.admin.label, identity, rows or 0, 0))
            continue
        published = func.sum(case((col(table.is_published), 1), else_=0))
        row = (await session.execute(select(func.count(), published).select_from(table))).one()
        total, shown = int(row[0] or 0), int(row[1] or 0)
        label = section.admin.plural or f"{section.admin.label}s"
        counts.append(SectionCount(label, identity, shown, total - shown))
    return counts


class CMSAdmin(Admin):
    """SQLAdmin with the CV's dashboard as its home, and one-row sections opened as forms."""

    def __init__(self, *args: Any, settings: Settings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings

    def init_templating_engine(self) -> Jinja2Templates:
        """SQLAdmin's environment, loading templates as the login page's does (one loader)."""
        templates = super().init_templating_engine()
        templates.env.loader = template_loader()
        return templates

    @login_required
    async def index(self, request: Request) -> Response:
        """The dashboard: counts per section, scheduled changes to come, recent changes, the
        content version, the site."""
        maker: async_sessionmaker[AsyncSession] = self.session_maker  # type: ignore[assignment]
        async with maker() as session:
            counts = await _counts(session)
            changes = list(
                (
                    await session.scalars(
                        select(AuditLog)
                        .order_by(col(AuditLog.created_at).desc(), col(AuditLog.id).desc())
                        .limit(RECENT_CHANGES)
                    )
                ).all()
            )
            rebuild: RebuildStatus = await rebuild_status(session)
            static_behind, static_error = await static_copy_state(session, self.settings)
            coming = (await scheduled_changes(session))[:RECENT_CHANGES]
            translations = await translation_counts(session, self.settings.locales[1:])
        # Mounted at /admin (behind any API Gateway stage): the public paths are beside it.
        site_root = request.scope.get("root_path", "").removesuffix("/admin")
        context = {
            "site_root": site_root,
            "counts": counts,
            "changes": changes,
            "rebuild": rebuild,
            "site_url": self.settings.site_url,
            "hooks": bool(self.settings.build_hook_urls),
            "static_behind": static_behind,
            "static_error": static_error,
            "format_time": format_time,
            "coming": coming,
            "format_scheduled": lambda when: format_in_zone(when, self.settings.owner_zone),
            "translations": translations,
        }
        return await self.templates.TemplateResponse(request, "sqladmin/index.html", context)

    @staticmethod
    def get_save_redirect_url(
        request: Request, form: FormData, model_view: ModelView, obj: Any
    ) -> str | URL:
        """SQLAdmin's target after a save, saying on arrival that it was saved."""
        url = Admin.get_save_redirect_url(request, form, model_view, obj)
        return URL(str(url)).include_query_params(outcome="saved")

    @login_required
    async def create(self, request: Request) -> Response:
        """SQLAdmin's create form; a view with a page of its own for it (API tokens) sends there."""
        identity = request.path_params["identity"]
        view = next((v for v in self.views if getattr(v, "identity", None) == identity), None)
        if (page := getattr(view, "create_page", None)) and request.method == "GET":
            target = request.url_for(f"admin:view-{identity}-{page}")
            return RedirectResponse(target, status_code=302)
        return await super().create(request)

    @login_required
    async def list(self, request: Request) -> Response:
        """Lists; a one-row section (personal info) opens straight as its form."""
        identity = request.path_params["identity"]
        view = next((v for v in self.views if getattr(v, "identity", None) == identity), None)
        if isinstance(view, SingleRowView):
            async with view.session_maker() as session:
                row_id = await session.scalar(select(view.model.id).limit(1))
            if row_id is None:
                target = URL(str(request.url_for("admin:create", identity=identity)))
            else:
                target = URL(str(request.url_for("admin:edit", identity=identity, pk=row_id)))
            # A save lands here on its way back to the form: the outcome goes along.
            if outcome := request.query_params.get("outcome"):
                target = target.include_query_params(outcome=outcome)
            return RedirectResponse(target, status_code=302)
        return await super().list(request)
