"""The back office in several locales: a language switcher on every form, a translation form
per entry and locale, and the dashboard's "de: 42 of 57".

An entry's form edits the default locale (the columns themselves); the switcher above it
opens the same entry in another locale of ``LOCALES``: one field per translatable text
(``Section.translatable``), the default's text shown under each field (and as its
placeholder), saved through the one write path (:func:`cms.content.translating.set_translation`:
validated like the form, audited, every locale's documents rendered).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup
from sqladmin import expose
from sqladmin.authentication import get_current_user_id
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlmodel import col
from starlette.datastructures import URL, FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cms.admin.pages import AppPage
from cms.content.localedata import locale_name
from cms.content.localized import TranslationCount, count_translations, translated_values
from cms.content.record import Section
from cms.content.sections import SECTIONS, section_of
from cms.content.translating import set_translation
from cms.content.write import Problems, WriteError
from cms.core.config import Settings

__all__ = ["TranslationView", "locale_switcher", "translation_counts"]


def _identity(section: Section) -> str:
    return section.table.__name__.lower()


def _section_by_identity(identity: str) -> Section | None:
    return next((s for s in SECTIONS.values() if _identity(s) == identity), None)


def locale_switcher(settings: Settings) -> Callable[..., Markup]:
    """A template global: the locales of an entry's form as links, ``current`` marked."""

    def switcher(obj: Any, request: Request, current: str | None = None) -> Markup:
        if obj is None or getattr(obj, "id", None) is None or len(settings.locales) < 2:
            return Markup("")
        try:
            section = section_of(type(obj))
        except LookupError:
            return Markup("")
        if not section.translatable:
            return Markup("")
        current = current or settings.locales[0]
        items = []
        for n, tag in enumerate(settings.locales):
            if n == 0:
                url = request.url_for("admin:edit", identity=_identity(section), pk=obj.id)
            else:
                url = request.url_for(
                    "admin:view-translate", identity=_identity(section), pk=obj.id, locale=tag
                )
            label = f"{locale_name(tag)} ({tag})" + (" · default" if n == 0 else "")
            if tag == current:
                items.append(Markup('<li class="active" aria-current="page">{}</li>').format(label))
            else:
                items.append(
                    Markup('<li><a href="{}" hreflang="{}">{}</a></li>').format(url, tag, label)
                )
        return Markup(
            '<nav class="cms-locale-switcher" aria-label="Locale of this entry">'
            '<span class="cms-locale-switcher-label">Language:</span><ul>{}</ul></nav>'
        ).format(Markup("").join(items))

    return switcher


async def translation_counts(session: AsyncSession, tags: list[str]) -> list[TranslationCount]:
    """For each locale but the default: texts translated of the texts filled in."""
    if not tags:
        return []
    rows = {
        name: list((await session.scalars(select(section.table))).all())
        for name, section in SECTIONS.items()
        if section.translatable
    }
    return count_translations(rows, tags)


def _shown(value: Any) -> str:
    """A column's value as a form field holds it (a list: one item per line)."""
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return "" if value is None else str(value)


def _kind(section: Section, name: str) -> str:
    return next(f.kind for f in section.resume if f.column == name)


def _texts(section: Section, form: FormData) -> dict[str, Any]:
    texts: dict[str, Any] = {}
    for name in section.translatable:
        raw = str(form.get(name) or "")
        if _kind(section, name) == "list":
            texts[name] = [line.strip() for line in raw.splitlines() if line.strip()]
        else:
            texts[name] = raw.strip()
    return texts


class TranslationView(AppPage):
    """One entry's texts in one locale (reached from the form's language switcher)."""

    name = "Translations"
    icon = "fa-solid fa-globe"

    def is_visible(self, request: Request) -> bool:
        """Not in the menu: reached from each entry's form."""
        return False

    @expose(
        "/translate/{identity}/{pk:int}/{locale}", methods=["GET", "POST"], identity="translate"
    )
    async def translate_page(self, request: Request) -> Response:
        """Show the entry's texts in the locale; on POST, save them and redirect back."""
        section = _section_by_identity(request.path_params["identity"])
        tag = request.path_params["locale"]
        if section is None or not section.translatable or tag not in self.settings.locales[1:]:
            return Response("Not Found", status_code=404)
        async with self.sessionmaker() as session:
            table: Any = section.table
            statement = select(table).where(col(table.id) == request.path_params["pk"])
            if section.tagged:
                statement = statement.options(selectinload(table.technologies))
            row = (await session.scalars(statement)).first()
            if row is None:
                return Response("Not Found", status_code=404)
            problems: Problems = {}
            given: dict[str, Any] | None = None
            if request.method == "POST":
                given = _texts(section, await request.form())
                actor = str(get_current_user_id(request) or "admin")
                try:
                    set_translation(section, row, tag, given, actor=actor)
                    await session.commit()
                except WriteError as exc:  # refused before anything changed
                    problems = exc.problems
                else:
                    url = URL(str(request.url)).include_query_params(outcome="saved")
                    return RedirectResponse(url, status_code=303)
            current = translated_values(row, section, tag)
            fields = [
                {
                    "name": name,
                    "label": section.admin.labels.get(name, name.replace("_", " ").capitalize()),
                    "list": _kind(section, name) == "list",
                    "value": _shown(given[name] if given is not None else current.get(name)),
                    "default": _shown(getattr(row, name)),
                    "problems": problems.get(name, []),
                }
                for name in section.translatable
            ]
            context = {
                "title": f"{row} · {locale_name(tag)}",
                "entry": row,
                "section_label": section.admin.label,
                "fields": fields,
                "tag": tag,
                "locale": locale_name(tag),
                "default": locale_name(self.settings.locales[0]),
                "saved": request.query_params.get("outcome") == "saved" and not problems,
            }
            return await self.templates.TemplateResponse(
                request, "sqladmin/translate.html", context, status_code=422 if problems else 200
            )
