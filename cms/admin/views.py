"""The SQLAdmin base views: forms built from the table, saves through the one write path.

SQLAdmin writes a record itself (``insert_model``/``update_model``/``delete_model``); our views
extend its documented hooks: ``on_model_change`` validates with the section's write schema,
checks unique columns and tracks the write (:mod:`cms.content.write`), whose rules then add the
technologies' order, the audit entry and the content version in SQLAdmin's own transaction.
Problems are shown next to their fields (``templates/sqladmin/create.html`` and ``edit.html``).
Section views are made from the section records (:mod:`cms.admin.sections`); the back office's
own tables have theirs in :mod:`cms.admin.backoffice`; technologies' view is here.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode

from pydantic import BaseModel
from sqladmin import ModelView, action, expose
from sqladmin.authentication import get_current_user_id
from sqlalchemy import JSON, DateTime, inspect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.sql import Select
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from wtforms import Form
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

from cms.admin.dates import PARTIAL_DATE_HELP, PartialDate, PartialDateField
from cms.admin.exports import neutralise_csv
from cms.admin.formatters import text_formatter, time_formatter
from cms.admin.ordering import NOT_NARROWING, Ordering, ids_sent, in_own_order
from cms.admin.widgets import form_widgets, text_type
from cms.content import write
from cms.content.dates import DatePrecision
from cms.content.models import Technology
from cms.content.read import MAX_ID, public_order
from cms.content.record import Section
from cms.content.tracking import track
from cms.core.errors import error_response
from cms.core.outage import is_database_unavailable

__all__ = [
    "CMSModelView",
    "EntryView",
    "write_problems",
]

logger = logging.getLogger(__name__)

_LINES_HELP = "One per line."


def write_problems(form: Form, request: Request) -> str:
    """Put the problems a refused save left on ``request.state`` next to their form fields.

    Called by the create and edit templates before the form renders; returns nothing to show.
    """
    problems: write.Problems = getattr(request.state, "write_problems", {})
    fields = list(form)
    dates = {f.precision_name: f for f in fields if isinstance(f, PartialDateField)}
    for name, messages in problems.items():
        field = form[name] if name in form else dates.get(name, fields[0] if fields else None)
        if field is not None:
            field.errors = [*field.errors, *(m for m in messages if m not in field.errors)]
    return ""


def _joined(value: Any, formatted: Any) -> tuple[Any, Any]:
    # SQLAdmin's list and details templates pair a relation's items with the formatted value's
    # items, each in brackets; a formatter that joins them into one text is shown as that text
    # (the view lists the relation in ``non_link_related_fields``).
    if isinstance(value, list | set) and isinstance(formatted, str):
        return formatted, formatted
    return value, formatted


def _back_to_list(request: Request, identity: str) -> URL:
    """The list the owner came from, with its search, filters and page kept."""
    url = URL(str(request.url_for("admin:list", identity=identity)))
    referer = URL(request.headers.get("referer", ""))
    if referer.path == url.path:
        query = parse_qsl(referer.query, keep_blank_values=True)
        kept = [(key, value) for key, value in query if key not in _OWN_PARAMS]
        url = url.replace(query=urlencode(kept))
    return url


_OWN_PARAMS = frozenset({"outcome", "error"})


def _actor(request: Request) -> str:
    """Who the audit log names for a write of this request: the logged-in owner."""
    return str(get_current_user_id(request) or "unknown")


def _int_pk(value: Any) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = 0
    if not 1 <= pk <= MAX_ID:  # ids start at 1; beyond INTEGER, asyncpg refuses to send it
        raise HTTPException(status_code=404, detail="No such record.")
    return pk


class CMSModelView(ModelView):
    """Base view: forms from the table, saves through the write path, sensible paging."""

    model: ClassVar[Any]
    schema: ClassVar[type[BaseModel] | None] = None
    """The write schema whose rules every writer enforces; ``None``: the table's own rules."""

    page_size = 25
    page_size_options: ClassVar[Sequence[int]] = [25, 50, 100]
    can_export = True
    form_excluded_columns: ClassVar[Sequence[Any]] = ["created_at", "updated_at", "extra"]
    column_details_exclude_list: ClassVar[Sequence[Any]] = ["extra"]
    form_args: ClassVar[dict[str, dict[str, Any]]] = {
        "start_date": {"label": "Start date"},
        "end_date": {"label": "End date", "description": "Leave empty while it is ongoing."},
        "sort_order": {"description": "Lower numbers come first on the public CV."},
        "is_published": {"label": "Published", "description": "Drafts never appear publicly."},
        "is_featured": {"label": "Featured"},
        "years_experience": {"label": "Years of experience"},
    }
    form_ajax_refs: ClassVar[dict[str, dict[str, Any]]] = {}
    partial_dates: ClassVar[Mapping[str, str]] = {}
    """Date columns and the columns holding their precision: each pair is one form field."""

    def __init__(self) -> None:
        # Headings and widgets follow the columns; the view's own choices win.
        columns: Any = inspect(self.model).columns
        automatic = {
            key: key.replace("_", " ").capitalize() for key in inspect(self.model).attrs.keys()
        }
        self.column_labels = {**automatic, **type(self).column_labels}  # type: ignore[misc]
        listed = {name for name in type(self).column_list if isinstance(name, str)}
        # Texts on one line, times to the minute, unless the view says otherwise.
        shown = {
            c.key: text_formatter(c.key) if text_type(c.type) is not None else time_formatter(c.key)
            for c in columns
            if c.key in listed and (text_type(c.type) is not None or isinstance(c.type, DateTime))
        }
        self.column_formatters = {**shown, **type(self).column_formatters}  # type: ignore[misc]
        dated = dict.fromkeys(self.partial_dates, PartialDateField)
        self.form_overrides = {**form_widgets(columns), **dated, **type(self).form_overrides}  # type: ignore[misc]
        lists = {c.key: {"description": _LINES_HELP} for c in columns if isinstance(c.type, JSON)}
        self.form_args = {**lists, **type(self).form_args}  # type: ignore[misc]
        for name, precision in self.partial_dates.items():
            own = self.form_args.get(name, {})
            help_text = " ".join(filter(None, (own.get("description"), PARTIAL_DATE_HELP)))
            self.form_args[name] = {**own, "precision": precision, "description": help_text}
        super().__init__()

    def search_placeholder(self) -> str:
        """What the search box looks in, short enough to read in it: two fields, then "…"."""
        labels = super().search_placeholder().split(", ")
        return ", ".join(labels[:2]) + (", …" if len(labels) > 2 else "")

    def get_form_columns(self) -> builtins.list[str]:
        """SQLAdmin's form columns, less the precisions: each is edited with its date."""
        precisions = set(self.partial_dates.values())
        return [name for name in super().get_form_columns() if name not in precisions]

    async def get_form_data_for_edit(self, obj: Any) -> dict[str, Any]:
        """SQLAdmin's initial form data; a date comes with its precision."""
        data = await super().get_form_data_for_edit(obj)
        for name, precision in self.partial_dates.items():
            if name in data:
                data[name] = PartialDate(getattr(obj, name), DatePrecision(getattr(obj, precision)))
        return data

    async def get_list_value(
        self, obj: Any, prop: str, request: Request | None = None
    ) -> tuple[Any, Any]:
        """SQLAdmin's list value; a relation its formatter joins is shown as that text."""
        return _joined(*await super().get_list_value(obj, prop, request))

    async def get_detail_value(
        self, obj: Any, prop: str, request: Request | None = None
    ) -> tuple[Any, Any]:
        """SQLAdmin's details value; a relation its formatter joins is shown as that text."""
        return _joined(*await super().get_detail_value(obj, prop, request))

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        """SQLAdmin's form, less the length limits the write schema checks in its own words."""
        form_class = await super().scaffold_form(rules)
        if self.schema is not None:
            for unbound in vars(form_class).values():
                if isinstance(unbound, UnboundField):
                    checks = unbound.kwargs.get("validators") or []
                    unbound.kwargs["validators"] = [v for v in checks if not isinstance(v, Length)]
        return form_class

    async def _refuse_get(self, request: Request, message: str) -> Response:
        """A 405 page for a change asked for with GET: a link must never change data."""
        context = {"status_code": 405, "message": message}
        response = await self.templates.TemplateResponse(
            request, "sqladmin/error.html", context, status_code=405
        )
        response.headers["Allow"] = "POST"
        return response

    # --- the write path --------------------------------------------------------------

    def clean_data(self, data: dict[str, Any]) -> dict[str, Any]:
        """Form data as it will be stored: trimmed, blanks as ``None`` where allowed."""
        columns: Any = inspect(self.model).columns
        cleaned: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, PartialDate):
                cleaned[key], cleaned[self.partial_dates[key]] = value
                continue
            column = columns.get(key)
            if column is not None and isinstance(value, str):
                value = value.strip()
            if column is not None and column.nullable and value in ("", None):
                value = None
            cleaned[key] = value
        return cleaned

    def problems(self, values: dict[str, Any]) -> write.Problems:
        """The write schema's complaints about ``values``."""
        return write.check(self.schema, values).problems if self.schema is not None else {}

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """Check the form's values once, then track the write (SQLAdmin sets and commits)."""
        values = self.clean_data(data)
        problems = self.problems(values)
        picked = [_int_pk(getattr(t, "id", t)) for t in values.get("technologies") or []]
        order: list[int] | None = None
        async with self.session_maker() as session:
            unique = await write.unique_problems(
                session, self.model, values, row_id=model.id, noun=self.name.lower()
            )
            if "technologies" in values:
                current = [] if is_created else model.technologies
                order = await write.technology_order(session, current=current, wanted=picked)
        for name, messages in unique.items():
            problems.setdefault(name, []).extend(messages)
        if problems:
            request.state.write_problems = problems
            raise write.WriteError(problems)
        # SQLAdmin sets what ``data`` holds: the cleaned values of mapped attributes only.
        attributes = inspect(self.model).attrs
        data.clear()
        data.update({key: value for key, value in values.items() if key in attributes})
        track(
            model,
            actor=_actor(request),
            technology_ids=order,
        )

    async def on_model_delete(self, model: Any, request: Request) -> None:
        """Stage the delete, so it is audited in its transaction."""
        track(model, actor=_actor(request))

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        """SQLAdmin's insert, with database refusals as a sentence for the owner."""
        return await _refusals_as_write_errors(super().insert_model(request, data), self)

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        """SQLAdmin's update, with database refusals as a sentence for the owner."""
        return await _refusals_as_write_errors(super().update_model(request, pk, data), self)

    async def export_data(
        self, data: builtins.list[Any], export_type: str = "csv", request: Request | None = None
    ) -> StreamingResponse:
        """SQLAdmin's export; CSV cells a spreadsheet would run as formulas are neutralised."""
        response = await super().export_data(data, export_type=export_type, request=request)
        if export_type == "csv":
            response.body_iterator = neutralise_csv(response.body_iterator)
        return response

    async def delete_model(self, request: Request, pk: Any) -> None:
        """SQLAdmin's delete, with database refusals as a sentence for the owner."""
        await _refusals_as_write_errors(super().delete_model(request, pk), self, _STILL_REFERRED)

    async def get_object_for_edit(self, request: Request) -> Any:
        """The record to edit; values our rules refuse (kept by an import) are shown to fix."""
        row = await super().get_object_for_edit(request)
        if row is not None and request.method == "GET" and self.schema is not None:
            values = {name: getattr(row, name, None) for name in self.schema.model_fields}
            if problems := self.problems(self.clean_data(values)):
                request.state.write_problems = problems
        return row

    # --- lookups: a key no INTEGER column holds is a 404, never a database error ------

    def form_edit_query(self, request: Request) -> Select[Any]:
        _int_pk(request.path_params.get("pk"))
        return super().form_edit_query(request)

    def details_query(self, request: Request) -> Select[Any]:
        _int_pk(request.path_params.get("pk"))
        return super().details_query(request)

    async def get_object_for_delete(self, value: Any) -> Any:
        return await super().get_object_for_delete(str(_int_pk(value)))


_CONFLICT = (
    "Not saved: this conflicts with existing data (a duplicate value or a missing reference)"
)
_STILL_REFERRED = "Not deleted: other records still refer to this one"


async def _refusals_as_write_errors(
    work: Any, view: CMSModelView, conflict: str = _CONFLICT
) -> Any:
    try:
        return await work
    except IntegrityError:
        raise write.WriteError({}, conflict) from None
    except DBAPIError as exc:
        if is_database_unavailable(exc):
            raise
        # Its text holds SQL and values: log it, show the owner a plain sentence.
        logger.exception("admin write to %s failed", view.model.__tablename__)
        raise write.WriteError({}, "Not saved: the database refused this change") from None


class EntryView(CMSModelView):
    """A list entry's view: publish/unpublish and reorder (POST only), each in one transaction."""

    section: ClassVar[Section]

    async def _set_published(self, request: Request, published: bool) -> Response:
        if request.method != "POST":
            # SQLAdmin routes actions as GET links.
            return await self._refuse_get(request, "Use the buttons of the list to do this.")
        form = await request.form()
        raw = form.get("pks") if isinstance(form.get("pks"), str) else None
        pks = str(raw or request.query_params.get("pks", ""))
        ids = [_int_pk(pk) for pk in pks.split(",") if pk]
        url = _back_to_list(request, self.identity)
        actor = _actor(request)
        try:
            async with self.session_maker() as session, session.begin():
                changed = await write.set_published(
                    session, self.section, ids=ids, published=published, actor=actor
                )
            done = "unchanged" if not changed else "published" if published else "unpublished"
            url = url.include_query_params(outcome=done)
        except LookupError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        except write.WriteError as exc:
            url = url.include_query_params(error=str(exc))
        except DBAPIError as exc:
            if is_database_unavailable(exc):
                raise
            logger.exception("publishing %s failed", self.model.__tablename__)
            url = url.include_query_params(error="Not saved: the database refused this change.")
        return RedirectResponse(url, status_code=302)

    @action(name="publish", label="Publish", add_in_detail=True, add_in_list=True)
    async def publish(self, request: Request) -> Response:
        """Publish the selected entries (a GET link is refused with 405)."""
        return await self._set_published(request, True)

    @action(name="unpublish", label="Unpublish (draft)", add_in_detail=True, add_in_list=True)
    async def unpublish(self, request: Request) -> Response:
        """Turn the selected entries back into drafts (a GET link is refused with 405)."""
        return await self._set_published(request, False)

    # SQLAdmin registers actions for GET only; the same paths answer POST, which is what the
    # list and details pages send (static/admin.js).
    @expose("/action/publish", methods=["POST"])
    async def publish_post(self, request: Request) -> Response:
        """Publish the selected entries."""
        return await self._set_published(request, True)

    @expose("/action/unpublish", methods=["POST"])
    async def unpublish_post(self, request: Request) -> Response:
        """Turn the selected entries back into drafts."""
        return await self._set_published(request, False)

    # --- order: rows dragged on the list (static/ordering.js) -------------------------

    def sort_query(self, stmt: Select[Any], request: Request) -> Select[Any]:
        """The public order unless the owner sorts by another column: what dragging changes."""
        if in_own_order(request):
            return stmt.order_by(*public_order(self.section))
        return super().sort_query(stmt, request)

    def ordering(self, request: Request) -> Ordering:
        """Where the list page sends a new order, and whether its rows can be dragged now."""
        url = str(request.url_for(f"admin:view-{self.identity}-reorder"))
        params = request.query_params.multi_items()
        subset = any(value for key, value in params if key not in NOT_NARROWING)
        if in_own_order(request):
            return Ordering(url, subset=subset)
        own = request.url.remove_query_params(["sortBy", "sort"])
        return Ordering(url, own_order_url=str(own), subset=subset)

    @expose("/reorder", methods=["GET", "POST"])
    async def reorder(self, request: Request) -> Response:
        """Store the order of the rows the list shows: ``{"ids": [...]}`` or form ``ids=3,1,2``.

        Answers JSON: ``{"changed", "message", "sort_orders"}`` (the new number of each moved
        row, by id), or the API's error shape with 400 (not a list of ids) or 422 (an id twice,
        or one naming no entry); nothing is written then.
        """
        if request.method != "POST":
            return await self._refuse_get(request, "Drag the rows of the list to reorder them.")
        try:
            ids = await ids_sent(request)
        except ValueError as exc:
            return error_response(400, str(exc))
        try:
            async with self.session_maker() as session, session.begin():
                changed = await write.reorder(session, self.section, ids=ids, actor=_actor(request))
        except LookupError:
            return error_response(422, "Not reordered: some of these entries no longer exist.")
        except write.WriteError as exc:
            return error_response(422, str(exc))
        except DBAPIError as exc:
            if is_database_unavailable(exc):
                raise
            logger.exception("reordering %s failed", self.model.__tablename__)
            return error_response(500, "Not saved: the database refused this change.")
        message = "Order saved." if changed else "Nothing to change: the order already was this."
        return JSONResponse({"changed": len(changed), "message": message, "sort_orders": changed})


class TechnologyAdmin(CMSModelView, model=Technology):
    name = "Technology"
    name_plural = "Technologies"
    icon = "fa-solid fa-microchip"
    category = "Skills"
    column_list: ClassVar[Any] = ["name", "created_at"]
    column_labels: ClassVar[dict[Any, str]] = {"created_at": "Created"}
    column_searchable_list: ClassVar[Any] = ["name"]
    column_sortable_list: ClassVar[Any] = ["name", "created_at"]
    column_default_sort: ClassVar[Any] = [("name", False)]
    form_columns: ClassVar[Sequence[Any]] = ["name"]
    column_details_list: ClassVar[Any] = ["name", "work", "projects", "created_at"]
