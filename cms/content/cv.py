"""The printable CV: one HTML page rendered from a JSON Resume document (``templates/cv/``).

Self-contained (CSS inline, no images, fonts or scripts from elsewhere), every value escaped,
print CSS for A4 and Letter, written in the document's locale (headings and dates through
:mod:`cms.content.localedata`, Babel). Needs Jinja2 and Babel only: no FastAPI, SQLAlchemy or
pydantic, so any face (the read path, the CLI's PDF) can call it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from cms.content.links import is_link
from cms.content.localedata import format_full_date, format_month_year, gettext_for
from cms.core.locales import canonical_tag

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["CV_TEMPLATES_DIR", "PAPERS", "Paper", "render_cv"]

CV_TEMPLATES_DIR: Final = Path(__file__).resolve().parents[2] / "templates" / "cv"

Paper = Literal["A4", "letter"]
PAPERS: Final[tuple[Paper, ...]] = ("A4", "letter")


def _period(tag: str) -> Callable[[Mapping[str, Any]], str]:
    """An entry's ``startDate``–``endDate`` in locale ``tag`` (ongoing: "Present")."""
    present = gettext_for(tag)("Present")

    def period(entry: Mapping[str, Any]) -> str:
        start = format_month_year(entry.get("startDate"), tag)
        if not start:
            return format_month_year(entry.get("endDate"), tag)
        end = format_month_year(entry.get("endDate"), tag) or present
        return start if start == end else f"{start} – {end}"

    return period


def _href(value: Any) -> str | None:
    """A URL a link may point to (:func:`cms.content.links.is_link`); else it is text only."""
    text = str(value or "").strip()
    return text if is_link(text) else None


def _shown_url(value: Any) -> str:
    """A URL as printed on paper: no scheme, no trailing slash."""
    text = str(value or "").strip()
    for prefix in ("https://", "http://", "mailto:", "tel:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
            break
    return text.rstrip("/")


def _skill_groups(
    skills: list[Mapping[str, Any]], other: str
) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """Skills by ``category`` in order of first appearance (one unnamed group if none has one)."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for skill in skills:
        groups.setdefault(str(skill.get("category") or ""), []).append(skill)
    if len(groups) > 1 and "" in groups:
        groups[other] = groups.pop("")
    return list(groups.items())


@cache
def _environment(tag: str) -> Environment:
    """The templates in locale ``tag``: its headings (``_()``) and its dates."""
    # Jinja2 loads with the first CV rendered: an app that only serves stays without it.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(
        loader=FileSystemLoader(CV_TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,  # a typo in a template fails the tests, not the CV
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    gettext = gettext_for(tag)
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, lambda one, many, n: gettext(one if n == 1 else many), newstyle=True
    )
    environment.globals["lang"] = tag
    environment.filters.update(
        month_year=lambda value: format_month_year(value, tag),
        full_date=lambda value: format_full_date(value, tag),
        period=_period(tag),
        href=_href,
        shown_url=_shown_url,
    )
    return environment


def _locale_of(resume: Mapping[str, Any]) -> str:
    meta = resume.get("meta")
    locale = meta.get("locale") if isinstance(meta, Mapping) else None
    try:
        return canonical_tag(locale) if isinstance(locale, str) else "en"
    except ValueError:
        return "en"


def render_cv(resume: Mapping[str, Any], *, paper: Paper | None = None) -> bytes:
    """The CV page (UTF-8 HTML) of a JSON Resume document as ``GET /api/v1/resume`` returns it.

    Written in the document's ``meta.locale`` (headings, dates; default ``en``). ``paper``
    fixes the page size (``A4`` or ``letter``, what a PDF needs); without it the printer's
    paper is used and the layout fits both.
    """
    if paper is not None and paper not in PAPERS:
        raise ValueError(f"Unknown paper {paper!r}: use one of {', '.join(PAPERS)}.")
    sections = {
        name: [entry for entry in resume.get(name) or [] if isinstance(entry, Mapping)]
        for name in (
            "work",
            "projects",
            "education",
            "volunteer",
            "awards",
            "certificates",
            "publications",
            "skills",
            "languages",
            "interests",
            "references",
        )
    }
    basics = resume.get("basics")
    tag = _locale_of(resume)
    context = {
        "basics": basics if isinstance(basics, Mapping) else {},
        "paper": paper,
        "skill_groups": _skill_groups(sections["skills"], gettext_for(tag)("Other")),
        **sections,
    }
    return _environment(tag).get_template("cv.html").render(context).encode("utf-8")
