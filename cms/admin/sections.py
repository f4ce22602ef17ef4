"""One SQLAdmin view per CV section, made from the section's record and its admin hints.

Columns, labels, widgets, filters, the default order and the technology picker follow from the
record (:mod:`cms.content.sections`) and its table; nothing here names a section.
"""

from __future__ import annotations

import types
from typing import Any

from sqladmin.filters import AllUniqueStringValuesFilter, BooleanFilter
from sqlalchemy import JSON, Boolean, DateTime, func, inspect, select
from starlette.requests import Request

from cms.admin.backoffice import OWN_VIEWS
from cms.admin.formatters import (
    chips_formatter,
    date_formatter,
    flag_formatter,
    names_formatter,
    time_formatter,
)
from cms.admin.images import IllustratedView, preview_formatter
from cms.admin.schedule import SchedulingView
from cms.admin.views import CMSModelView, TechnologyAdmin
from cms.content.record import Section
from cms.content.sections import SECTIONS

__all__ = ["ALL_VIEWS", "SingleRowView", "section_view"]

_ENTRY_LABELS: dict[str, str] = {
    "is_published": "Published",
    "is_featured": "Featured",
    "sort_order": "Order",
    "start_date": "Start",
    "end_date": "End",
    "updated_at": "Updated",
    "created_at": "Created",
    "study_type": "Degree",
    "url": "URL",
    "github_url": "GitHub URL",
    "demo_url": "Demo URL",
    "image_url": "Image URL",
    "image_alt": "Image description",
    "image_media_id": "Uploaded image",
    "years_experience": "Years",
    "level_label": "Level (text)",
}
_TECHNOLOGY_PICKER = {"technologies": {"fields": ("name",), "order_by": "name", "limit": 20}}
_NOT_SHOWN = ["extra", "location_extra", "meta", "translations"]  # translations: own form
_NOT_EDITED = ["created_at", "updated_at", *_NOT_SHOWN]


class SingleRowView(CMSModelView):
    """A section that is one row (basics): created once, its list opens as its form."""

    async def check_can_create(self, request: Request) -> bool:
        """There is one owner: a second row makes no sense."""
        async with self.session_maker() as session:
            exists = await session.scalar(select(func.count()).select_from(self.model))
        return not exists and await super().check_can_create(request)


def _formatters(section: Section, columns: tuple[str, ...]) -> dict[str, Any]:
    """Dates at their precision, Draft/Published and Yes/No badges, times, lists as chips."""
    table_columns: Any = inspect(section.table).columns
    relations = inspect(section.table).relationships
    formatters: dict[str, Any] = {}
    for name in columns:
        column_type = table_columns[name].type if name in table_columns else None
        if name in relations:
            formatters[name] = chips_formatter(name)
        elif name in section.precision_of:
            formatters[name] = date_formatter(name, section.precision_of[name])
        elif name == "is_published":
            formatters[name] = flag_formatter(name, on="Published", off="Draft", off_class="draft")
        elif isinstance(column_type, Boolean):
            formatters[name] = flag_formatter(name)
        elif isinstance(column_type, DateTime):
            formatters[name] = time_formatter(name)
        elif isinstance(column_type, JSON):
            formatters[name] = chips_formatter(name)
    return formatters


def _filters(section: Section) -> list[Any]:
    columns: Any = inspect(section.table).columns
    filters: list[Any] = [BooleanFilter("is_published", title="Published")]
    for name in section.admin.filters:
        title = _ENTRY_LABELS.get(name, name.replace("_", " ").capitalize())
        if isinstance(columns[name].type, Boolean):
            filters.append(BooleanFilter(name, title=title))
        else:
            filters.append(AllUniqueStringValuesFilter(name, title=title))
    return filters


def section_view(section: Section) -> type[CMSModelView]:
    """The admin view of ``section``."""
    hints = section.admin
    entry = section.is_list
    columns = (*hints.columns, "is_published", "sort_order") if entry else hints.columns
    relations = inspect(section.table).relationships
    table_columns = inspect(section.table).columns
    attributes: dict[str, Any] = {
        "name": hints.label,
        "name_plural": hints.plural or f"{hints.label}s",
        "icon": hints.icon,
        "category": hints.menu,
        "schema": section.schema,
        "column_list": list(columns),
        "column_labels": {**(_ENTRY_LABELS if entry else {}), **hints.labels},
        "column_formatters": _formatters(section, columns),
        "column_searchable_list": list(hints.search),
        "column_sortable_list": [name for name in columns if name not in relations],
        "column_default_sort": [
            *([("sort_order", False)] if entry else []),
            (section.order_date, True) if section.order_date else (columns[0], False),
        ],
        "column_details_exclude_list": [
            *(name for name in _NOT_SHOWN if name in table_columns),
            *(["image_media"] if section.illustrated else []),
        ],
        "partial_dates": section.precision_of,
        "form_args": {
            **CMSModelView.form_args,
            **{name: {"description": text} for name, text in hints.help.items()},
        },
    }
    if entry:
        attributes["section"] = section
        attributes["column_filters"] = _filters(section)
    if hints.form is not None:
        attributes["form_columns"] = list(hints.form)
    else:
        attributes["form_excluded_columns"] = [n for n in _NOT_EDITED if n in table_columns]
    details: dict[str, Any] = {}
    if section.tagged:
        attributes["form_ajax_refs"] = _TECHNOLOGY_PICKER
        # "Python, FastAPI" on the list and details pages, not SQLAdmin's "(Python) (FastAPI)".
        details["technologies"] = names_formatter("technologies")
        attributes["non_link_related_fields"] = ["technologies"]
    if section.illustrated:
        details["image_media_id"] = preview_formatter
    if details:
        attributes["column_formatters_detail"] = details
    base: type[CMSModelView] = SchedulingView if entry else SingleRowView
    bases = (IllustratedView, base) if section.illustrated else (base,)
    name = f"{section.table.__name__}Admin"
    return types.new_class(
        name, bases, {"model": section.table}, lambda namespace: namespace.update(attributes)
    )


ALL_VIEWS: tuple[type[CMSModelView], ...] = (
    *(section_view(section) for section in SECTIONS.values()),
    TechnologyAdmin,
    *OWN_VIEWS,
)
"""Every view, in menu order: the CV's sections, technologies, then the back office's own."""
