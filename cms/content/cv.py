"""The printable CV: one HTML page rendered from a JSON Resume document (``templates/cv/``).

Self-contained (CSS inline, no images, fonts or scripts from elsewhere), every value escaped,
print CSS for A4 and Letter. Needs Jinja2 only: no FastAPI, SQLAlchemy or pydantic, so any
face (the read path, the CLI's PDF) can call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from cms.content.links import is_link

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["CV_TEMPLATES_DIR", "PAPERS", "Paper", "render_cv"]

CV_TEMPLATES_DIR: Final = Path(__file__).resolve().parents[2] / "templates" / "cv"

Paper = Literal["A4", "letter"]
PAPERS: Final[tuple[Paper, ...]] = ("A4", "letter")

_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def _month_year(value: Any) -> str:
    """``2024-01-15`` or ``2024-01`` as ``Jan 2024``; ``2024`` as is; anything else verbatim."""
    text = str(value or "")
    parts = text.split("-")
    if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit() and 1 <= int(parts[1]) <= 12:
        return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return text


def _full_date(value: Any) -> str:
    """``2023-06-14`` as ``14 Jun 2023``; a month or a year at its own precision."""
    text = str(value or "")
    parts = text.split("-")
    if len(parts) == 3 and parts[2].isdigit():
        return f"{int(parts[2])} {_month_year(text)}"
    return _month_year(text)


def _period(entry: Mapping[str, Any]) -> str:
    """An entry's ``startDate``–``endDate`` (ongoing: "Present"); empty without a start."""
    start = _month_year(entry.get("startDate"))
    if not start:
        return _month_year(entry.get("endDate"))
    end = _month_year(entry.get("endDate")) or "Present"
    return start if start == end else f"{start} – {end}"


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


def _skill_groups(skills: list[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """Skills by ``category`` in order of first appearance (one unnamed group if none has one)."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for skill in skills:
        groups.setdefault(str(skill.get("category") or ""), []).append(skill)
    if len(groups) > 1 and "" in groups:
        groups["Other"] = groups.pop("")
    return list(groups.items())


@cache
def _environment() -> Environment:
    # Jinja2 loads with the first CV rendered: an app that only serves stays without it.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(
        loader=FileSystemLoader(CV_TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,  # a typo in a template fails the tests, not the CV
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        month_year=_month_year,
        full_date=_full_date,
        period=_period,
        href=_href,
        shown_url=_shown_url,
    )
    return environment


def render_cv(resume: Mapping[str, Any], *, paper: Paper | None = None) -> bytes:
    """The CV page (UTF-8 HTML) of a JSON Resume document as ``GET /api/v1/resume`` returns it.

    ``paper`` fixes the page size (``A4`` or ``letter``, what a PDF needs); without it the
    printer's paper is used and the layout fits both.
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
    context = {
        "basics": basics if isinstance(basics, Mapping) else {},
        "paper": paper,
        "skill_groups": _skill_groups(sections["skills"]),
        **sections,
    }
    return _environment().get_template("cv.html").render(context).encode("utf-8")
