"""SQLAdmin views: one per CV table, plus owner accounts, the audit log and failed logins.

Every write goes through :class:`CMSModelView`: the form is validated with the table's
``XBase`` schema (the same rules as the public API) and unique columns are checked before
anything is written; the row, its technology links and an :class:`~cms.content.models.AuditLog`
entry are then written in one transaction, whose session events bump the content version.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Sequence
from contextvars import ContextVar
from decimal import Decimal
from typing import Any, ClassVar

from markupsafe import Markup, escape
from pydantic import BaseModel
from sqladmin import ModelView, action
from sqladmin.authentication import get_current_user_id
from sqladmin.filters import AllUniqueStringValuesFilter, BooleanFilter
from sqlalchemy import func, inspect, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import Select
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import FloatField, Form, PasswordField, TextAreaField
from wtforms.fields import DateField
from wtforms.validators import Optional as OptionalValue

from cms.admin.accounts import AccountError, check_password, check_username, normalize_username
from cms.content.models import (
    AdminUser,
    AuditLog,
    Award,
    AwardBase,
    Basics,
    BasicsBase,
    Certificate,
    CertificateBase,
    Education,
    EducationBase,
    Interest,
    InterestBase,
    Language,
    LanguageBase,
    LoginAttempt,
    Profile,
    ProfileBase,
    Project,
    ProjectBase,
    Publication,
    PublicationBase,
    Reference,
    ReferenceBase,
    Skill,
    SkillBase,
    Technology,
    Volunteer,
    VolunteerBase,
    Work,
    WorkBase,
    format_partial_date,
    utcnow,
)
from cms.content.read import MAX_ID
from cms.content.validation import RECORD, field_errors
from cms.core.security import hash_password

__all__ = ["ALL_VIEWS", "AdminWriteError", "CMSModelView", "LinesField"]

logger = logging.getLogger(__name__)

_pending_errors: ContextVar[dict[str, list[str]] | None] = ContextVar(
    "cms_admin_pending_errors", default=None
)
_REDACTED = "(changed, not shown)"
_NOT_AUDITED = frozenset({"created_at", "updated_at"})


class AdminWriteError(Exception):
    """A write the owner can fix; its message is shown on the form, nothing was written."""


class LinesField(TextAreaField):
    """A list of strings edited as one item per line."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "\n".join(str(item) for item in self.data or [])

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.data = [line.strip() for line in str(valuelist[0]).splitlines() if line.strip()]

    def process_data(self, value: Any) -> None:
        self.data = list(value or [])


class _SchemaValidatedForm(Form):
    """Adds the view's schema rules and pending uniqueness errors to WTForms validation."""

    _view: ClassVar[CMSModelView]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        problems = dict(_pending_errors.get() or {})
        _pending_errors.set(None)
        for name, messages in self._view.form_problems(self.data).items():
            problems.setdefault(name, []).extend(messages)
        for name, messages in problems.items():
            field = self._fields.get(name) or next(iter(self._fields.values()))
            if field.errors and name != RECORD:
                continue  # WTForms already explained what is wrong with this field
            field.errors = [*field.errors, *messages]
            valid = False
        return valid


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value


def _partial_date(date_attr: str, precision_attr: str) -> Any:
    def formatter(model: Any, _attribute: Any) -> str:
        return format_partial_date(getattr(model, date_attr), getattr(model, precision_attr)) or ""

    return formatter


def _names(attr: str) -> Any:
    def formatter(model: Any, _attribute: Any) -> str:
        return ", ".join(str(item) for item in getattr(model, attr) or [])

    return formatter


def _flag(attr: str) -> Any:
    def formatter(model: Any, _attribute: Any) -> Markup:
        on = bool(getattr(model, attr))
        label = "Yes" if on else "No"
        return Markup('<span class="cms-flag cms-flag-{}">{}</span>').format(
            "on" if on else "off", escape(label)
        )

    return formatter


_DATE_HELP = "How much of the date the CV shows: year (2020), month (2020-05) or day."
_LINES_HELP = "One per line."


class CMSModelView(ModelView):
    """Base view: validated writes, audit trail, sensible paging for the owner."""

    model: ClassVar[Any]
    schema: ClassVar[type[BaseModel] | None] = None
    """The ``XBase`` whose rules the public API enforces; the form applies the same ones."""

    page_size = 25
    page_size_options: ClassVar[Sequence[int]] = [25, 50, 100]
    can_export = True
    form_excluded_columns: ClassVar[Sequence[Any]] = ["created_at", "updated_at", "extra"]
    column_details_exclude_list: ClassVar[Sequence[Any]] = ["extra"]
    form_overrides: ClassVar[dict[str, Any]] = {
        "start_date": DateField,
        "end_date": DateField,
        "date": DateField,
        "release_date": DateField,
        "highlights": LinesField,
        "keywords": LinesField,
        "courses": LinesField,
        "roles": LinesField,
        "summary": TextAreaField,
        "reference": TextAreaField,
    }
    form_args: ClassVar[dict[str, dict[str, Any]]] = {
        "start_precision": {"label": "Start date shows", "description": _DATE_HELP},
        "end_precision": {"label": "End date shows", "description": _DATE_HELP},
        "date_precision": {"label": "Date shows", "description": _DATE_HELP},
        "release_date_precision": {"label": "Release date shows", "description": _DATE_HELP},
        "start_date": {"label": "Start date"},
        "end_date": {"label": "End date", "description": "Leave empty while it is ongoing."},
        "highlights": {"description": _LINES_HELP},
        "keywords": {"description": _LINES_HELP},
        "courses": {"description": _LINES_HELP},
        "roles": {"description": _LINES_HELP},
        "sort_order": {"description": "Lower numbers come first on the public CV."},
        "is_published": {"label": "Published", "description": "Drafts never appear publicly."},
        "is_featured": {"label": "Featured"},
    }
    form_ajax_refs: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(self) -> None:
        # Every column gets a readable heading; the view's own labels win.
        mapper: Any = inspect(self.model)
        automatic = {key: key.replace("_", " ").capitalize() for key in mapper.attrs.keys()}
        self.column_labels = {**automatic, **type(self).column_labels}  # type: ignore[misc]
        super().__init__()

    # --- forms ---------------------------------------------------------------------

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        form_class = await super().scaffold_form(rules)
        return type(form_class.__name__, (_SchemaValidatedForm, form_class), {"_view": self})

    def clean_data(self, data: dict[str, Any]) -> dict[str, Any]:
        """Form data as it will be stored: trimmed, blanks as ``None`` where allowed."""
        columns: Any = inspect(self.model).columns
        cleaned: dict[str, Any] = {}
        for key, value in data.items():
            name = key[:-1] if key.endswith("_") and key[:-1] in columns else key
            if isinstance(value, str):
                value = value.strip()
            column = columns.get(name)
            if column is not None and column.nullable and value in ("", None):
                value = None
            cleaned[name] = value
        return cleaned

    def form_problems(self, data: dict[str, Any]) -> dict[str, list[str]]:
        """The schema's complaints about ``data``, by field (numbers are bounded there too)."""
        if self.schema is None:
            return {}
        return field_errors(self.schema, self.clean_data(data))

    async def _check_unique(self, request: Request, pk: str | None) -> None:
        if request.method != "POST":
            return
        form = await request.form()
        problems: dict[str, list[str]] = {}
        async with self.session_maker() as session:
            for column in self.model.__table__.columns:
                if not column.unique or column.primary_key or column.name not in form:
                    continue
                value = str(form.get(column.name) or "").strip()
                if not value:
                    continue
                if column.name == "username":
                    value = normalize_username(value)
                stmt = select(func.count()).where(func.lower(column) == value.lower())
                if pk is not None:
                    stmt = stmt.where(self.model.id != _int_pk(pk))
                if await session.scalar(stmt):
                    label = self._column_labels.get(column.name, column.name).lower()
                    problems[column.name] = [
                        f"Another {self.name.lower()} already uses this {label}."
                    ]
        _pending_errors.set(problems)

    async def create_context(self, request: Request) -> dict[str, Any]:
        await self._check_unique(request, None)
        return await super().create_context(request)

    async def edit_context(self, request: Request) -> dict[str, Any]:
        await self._check_unique(request, request.path_params.get("pk"))
        return await super().edit_context(request)

    # --- writes --------------------------------------------------------------------

    def _load_options(self) -> list[Any]:
        return [selectinload(getattr(self.model, rel.key)) for rel in self._mapper.relationships]

    def _stmt_by_identifier(self, identifier: str) -> Select[Any]:
        # SQLAdmin's own lookup (details, edit, delete) would pass "abc" or a number beyond
        # INTEGER to the database and answer 500: every table here has an integer ``id``.
        return select(self.model).where(self.model.id == _int_pk(identifier))

    async def _get(self, session: AsyncSession, pk: Any) -> Any:
        stmt = self._stmt_by_identifier(pk).options(*self._load_options())
        obj = await session.scalar(stmt)
        if obj is None:
            raise HTTPException(status_code=404, detail="This record no longer exists.")
        return obj

    def snapshot(self, obj: Any) -> dict[str, Any]:
        """The audited state of ``obj``: columns (secrets redacted) and related names."""
        state: dict[str, Any] = {}
        for column in self._mapper.columns:
            if column.key in _NOT_AUDITED or column.primary_key:
                continue
            state[column.key] = _jsonable(getattr(obj, column.key, None))
        for rel in self._mapper.relationships:
            if rel.key in self._form_prop_names:
                state[rel.key] = [str(item) for item in getattr(obj, rel.key) or []]
        return state

    def redact(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Hide secrets from the audit trail."""
        return changes

    async def _apply(self, session: AsyncSession, obj: Any, data: dict[str, Any]) -> None:
        columns = self._mapper.columns
        for key, value in self.clean_data(data).items():
            rel = self._mapper.relationships.get(key)
            if rel is not None:
                await self._apply_relation(session, obj, key, value)
            elif key in columns:
                setattr(obj, key, value)

    async def _apply_relation(self, session: AsyncSession, obj: Any, key: str, value: Any) -> None:
        target = self._mapper.relationships[key].mapper.class_
        wanted = {_int_pk(getattr(item, "id", item)) for item in value or []}
        current = list(getattr(obj, key) or [])
        kept = [item for item in current if item.id in wanted]
        new_ids = wanted - {item.id for item in kept}
        added: list[Any] = []
        if new_ids:
            stmt = select(target).where(target.id.in_(new_ids)).order_by(target.name)
            added = list((await session.scalars(stmt)).all())
        setattr(obj, key, kept + added)

    async def _store_positions(self, session: AsyncSession, obj: Any) -> None:
        # Links keep the owner's order in a `position` column the ORM does not fill in.
        for rel in self._mapper.relationships:
            secondary = rel.secondary
            if rel.key not in self._form_prop_names:
                continue
            if secondary is None or "position" not in secondary.c:
                continue
            ((_, local_fk),) = rel.synchronize_pairs
            ((_, remote_fk),) = rel.secondary_synchronize_pairs
            for position, item in enumerate(getattr(obj, rel.key) or []):
                await session.execute(
                    update(secondary)
                    .where(local_fk == obj.id, remote_fk == item.id)
                    .values(position=position)
                )

    def _audit(
        self, request: Request, action_name: str, obj: Any, changes: dict[str, Any]
    ) -> AuditLog:
        return AuditLog(
            username=str(get_current_user_id(request) or "unknown"),
            action=action_name,
            table_name=self.model.__tablename__,
            record_id=str(obj.id) if obj.id is not None else None,
            record_label=str(obj)[:300],
            changes=self.redact(changes),
            created_at=utcnow(),
        )

    def _final_check(self, obj: Any) -> None:
        if self.schema is None:
            return
        values = {name: getattr(obj, name, None) for name in self.schema.model_fields}
        problems = field_errors(self.schema, values)
        if problems:
            text = "; ".join(
                f"{name.replace('_', ' ') or 'record'}: {' '.join(messages)}"
                for name, messages in problems.items()
            )
            raise AdminWriteError(f"Not saved: {text}")

    async def _stage(
        self, session: AsyncSession, request: Request, pk: Any | None, data: dict[str, Any]
    ) -> Any:
        # One row, its links and its audit entry, flushed but not committed.
        created = pk is None
        obj = self.model() if created else await self._get(session, pk)
        before = {} if created else self.snapshot(obj)
        await self.on_model_change(data, obj, created, request)
        await self._apply(session, obj, data)
        self._final_check(obj)
        session.add(obj)
        await session.flush()
        await self._store_positions(session, obj)
        after = self.snapshot(obj)
        changes = {
            key: [before.get(key), value]
            for key, value in after.items()
            if before.get(key) != value and not (created and value in (None, [], "", {}))
        }
        session.add(self._audit(request, "create" if created else "update", obj, changes))
        return obj

    async def _save_all(
        self, request: Request, writes: Sequence[tuple[Any | None, dict[str, Any]]]
    ) -> list[Any]:
        """Apply each ``(pk or None to create, form data)`` in one transaction: all or nothing."""
        async with self.session_maker() as session:
            try:
                saved = [await self._stage(session, request, pk, data) for pk, data in writes]
                await session.commit()
            except IntegrityError:
                await session.rollback()
                raise AdminWriteError(
                    "Not saved: this conflicts with existing data (a duplicate value or a "
                    "missing reference)."
                ) from None
            except DBAPIError:
                await session.rollback()
                # Its text holds SQL and values: log it, show the owner a plain sentence.
                logger.exception("admin write to %s failed", self.model.__tablename__)
                raise AdminWriteError("Not saved: the database refused this change.") from None
        for (pk, data), obj in zip(writes, saved, strict=True):
            response = await self.after_model_change(data, obj, pk is None, request)
            if isinstance(response, Response):
                request.state._sqladmin_after_change_response = response
        return saved

    async def _save(self, request: Request, pk: Any | None, data: dict[str, Any]) -> Any:
        (obj,) = await self._save_all(request, [(pk, data)])
        return obj

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        """Create a row, its links and its audit entry in one transaction."""
        return await self._save(request, None, data)

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        """Update a row, its links and write its audit entry in one transaction."""
        return await self._save(request, pk, data)

    async def delete_model(self, request: Request, pk: Any) -> None:
        """Delete a row and record it in the audit log, in one transaction."""
        async with self.session_maker() as session:
            obj = await self._get(session, pk)
            await self.on_model_delete(obj, request)
            before = self.snapshot(obj)
            await session.delete(obj)
            session.add(
                self._audit(request, "delete", obj, {k: [v, None] for k, v in before.items()})
            )
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                raise AdminWriteError(
                    "Not deleted: other records still refer to this one."
                ) from None
            except DBAPIError:
                await session.rollback()
                logger.exception("admin delete from %s failed", self.model.__tablename__)
                raise AdminWriteError("Not deleted: the database refused this change.") from None
        await self.after_model_delete(obj, request)


def _int_pk(value: Any) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = 0
    if not 1 <= pk <= MAX_ID:  # ids start at 1; beyond INTEGER, asyncpg refuses to send it
        raise HTTPException(status_code=404, detail="No such record.")
    return pk


_ENTRY_LABELS: dict[Any, str] = {
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
    "years_experience": "Years",
    "level_label": "Level (text)",
}


class _PublishActions(CMSModelView):
    """A list entry's view: publish/unpublish actions, the entry labels and a Published filter."""

    column_labels: ClassVar[dict[Any, str]] = _ENTRY_LABELS
    column_filters: ClassVar[Any] = [BooleanFilter("is_published", title="Published")]

    async def _set_published(self, request: Request, published: bool) -> Response:
        pks = [pk for pk in request.query_params.get("pks", "").split(",") if pk]
        url = URL(str(request.url_for("admin:list", identity=self.identity)))
        try:
            await self._save_all(request, [(pk, {"is_published": published}) for pk in pks])
        except AdminWriteError as exc:
            # Nothing was changed; the list page shows ``error`` like a failed delete.
            url = url.include_query_params(error=str(exc))
        return RedirectResponse(url, status_code=302)

    @action(name="publish", label="Publish", add_in_detail=True, add_in_list=True)
    async def publish(self, request: Request) -> Response:
        """Publish the selected entries."""
        return await self._set_published(request, True)

    @action(name="unpublish", label="Unpublish (draft)", add_in_detail=True, add_in_list=True)
    async def unpublish(self, request: Request) -> Response:
        """Turn the selected entries back into drafts."""
        return await self._set_published(request, False)


_PERIOD_FORMATTERS: dict[Any, Any] = {
    "start_date": _partial_date("start_date", "start_precision"),
    "end_date": _partial_date("end_date", "end_precision"),
    "is_published": _flag("is_published"),
}


class BasicsAdmin(CMSModelView, model=Basics):
    name = "Personal info"
    name_plural = "Personal info"
    icon = "fa-solid fa-id-card"
    category = "Profile"
    schema = BasicsBase
    column_list: ClassVar[Any] = ["name", "label", "email", "city", "country_code", "updated_at"]
    column_labels: ClassVar[dict[Any, str]] = {
        "label": "Title",
        "country_code": "Country",
        "url": "Website",
        "image": "Image URL",
        "updated_at": "Updated",
    }
    column_searchable_list: ClassVar[Any] = ["name", "label"]
    form_excluded_columns: ClassVar[Sequence[Any]] = [
        "created_at",
        "updated_at",
        "extra",
        "location_extra",
        "meta",
    ]
    column_details_exclude_list: ClassVar[Sequence[Any]] = ["extra", "location_extra", "meta"]

    async def check_can_create(self, request: Request) -> bool:
        """There is one owner: a second personal-info row makes no sense."""
        async with self.session_maker() as session:
            exists = await session.scalar(select(func.count()).select_from(Basics))
        return not exists and await super().check_can_create(request)


class ProfileAdmin(_PublishActions, model=Profile):
    name = "Social profile"
    icon = "fa-solid fa-share-nodes"
    category = "Profile"
    schema = ProfileBase
    column_list: ClassVar[Any] = ["network", "username", "url", "is_published", "sort_order"]
    column_formatters: ClassVar[dict[Any, Any]] = {"is_published": _flag("is_published")}
    column_searchable_list: ClassVar[Any] = ["network", "username"]
    column_sortable_list: ClassVar[Any] = ["network", "sort_order", "is_published"]
    column_default_sort: ClassVar[Any] = [("sort_order", False), ("network", False)]


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


_TECHNOLOGY_PICKER = {
    "technologies": {"fields": ("name",), "order_by": "name", "limit": 20},
}


class WorkAdmin(_PublishActions, model=Work):
    name = "Work experience"
    name_plural = "Work experience"
    icon = "fa-solid fa-briefcase"
    category = "Career"
    schema = WorkBase
    column_list: ClassVar[Any] = [
        "company",
        "position",
        "start_date",
        "end_date",
        "technologies",
        "is_published",
        "sort_order",
    ]
    column_formatters: ClassVar[dict[Any, Any]] = {
        **_PERIOD_FORMATTERS,
    }
    column_searchable_list: ClassVar[Any] = ["company", "position", "location"]
    column_sortable_list: ClassVar[Any] = [
        "company",
        "position",
        "start_date",
        "end_date",
        "is_published",
        "sort_order",
    ]
    column_default_sort: ClassVar[Any] = [("sort_order", False), ("start_date", True)]
    form_columns: ClassVar[Sequence[Any]] = [
        "company",
        "position",
        "url",
        "location",
        "description",
        "summary",
        "highlights",
        "technologies",
        "start_date",
        "start_precision",
        "end_date",
        "end_precision",
        "sort_order",
        "is_published",
    ]
    form_ajax_refs = _TECHNOLOGY_PICKER


class ProjectAdmin(_PublishActions, model=Project):
    name = "Project"
    icon = "fa-solid fa-diagram-project"
    category = "Career"
    schema = ProjectBase
    column_list: ClassVar[Any] = [
        "name",
        "slug",
        "technologies",
        "is_featured",
        "is_published",
        "sort_order",
    ]
    column_formatters: ClassVar[dict[Any, Any]] = {
        **_PERIOD_FORMATTERS,
        "is_featured": _flag("is_featured"),
    }
    column_searchable_list: ClassVar[Any] = ["name", "slug", "description"]
    column_sortable_list: ClassVar[Any] = [
        "name",
        "slug",
        "is_featured",
        "is_published",
        "sort_order",
    ]
    column_default_sort: ClassVar[Any] = [("sort_order", False), ("start_date", True)]
    column_filters: ClassVar[Any] = [
        BooleanFilter("is_published", title="Published"),
        BooleanFilter("is_featured", title="Featured"),
    ]
    form_columns: ClassVar[Sequence[Any]] = [
        "name",
        "slug",
        "description",
        "highlights",
        "technologies",
        "url",
        "github_url",
        "demo_url",
        "image_url",
        "roles",
        "entity",
        "type",
        "start_date",
        "start_precision",
        "end_date",
        "end_precision",
        "is_featured",
        "sort_order",
        "is_published",
    ]
    form_args: ClassVar[dict[str, dict[str, Any]]] = {
        **CMSModelView.form_args,
        "slug": {"description": "Part of the project's public URL, e.g. my-project."},
    }
    form_overrides: ClassVar[dict[str, Any]] = {
        **CMSModelView.form_overrides,
        "description": TextAreaField,
    }
    form_ajax_refs = _TECHNOLOGY_PICKER


class SkillAdmin(_PublishActions, model=Skill):
    name = "Skill"
    icon = "fa-solid fa-star"
    category = "Skills"
    schema = SkillBase
    column_list: ClassVar[Any] = [
        "name",
        "category",
        "level",
        "years_experience",
        "is_featured",
        "is_published",
        "sort_order",
    ]
    column_formatters: ClassVar[dict[Any, Any]] = {
        "is_published": _flag("is_published"),
        "is_featured": _flag("is_featured"),
    }
    column_searchable_list: ClassVar[Any] = ["name", "category"]
    column_sortable_list: ClassVar[Any] = [
        "name",
        "category",
        "level",
        "years_experience",
        "is_featured",
        "is_published",
        "sort_order",
    ]
    column_default_sort: ClassVar[Any] = [("sort_order", False), ("name", False)]
    column_filters: ClassVar[Any] = [
        AllUniqueStringValuesFilter("category", title="Category"),
        BooleanFilter("is_featured", title="Featured"),
        BooleanFilter("is_published", title="Published"),
    ]
    form_args: ClassVar[dict[str, dict[str, Any]]] = {
        **CMSModelView.form_args,
        "level": {"description": "1 (basic) to 5 (expert)."},
        "years_experience": {"label": "Years of experience"},
    }
    # SQLAlchemy 2.1's Float is no longer a Numeric, which SQLAdmin's converter expects.
    form_overrides: ClassVar[dict[str, Any]] = {
        **CMSModelView.form_overrides,
        "years_experience": FloatField,
    }


class EducationAdmin(_PublishActions, model=Education):
    name = "Education"
    name_plural = "Education"
    icon = "fa-solid fa-graduation-cap"
    category = "Career"
    schema = EducationBase
    column_list: ClassVar[Any] = [
        "institution",
        "study_type",
        "area",
        "start_date",
        "end_date",
        "is_published",
        "sort_order",
    ]
    column_formatters = _PERIOD_FORMATTERS
    column_searchable_list: ClassVar[Any] = ["institution", "area", "study_type"]
    column_sortable_list: ClassVar[Any] = [
        "institution",
        "start_date",
        "end_date",
        "is_published",
        "sort_order",
    ]
    column_default_sort: ClassVar[Any] = [("sort_order", False), ("start_date", True)]


class VolunteerAdmin(_PublishActions, model=Volunteer):
    name = "Volunteering"
    name_plural = "Volunteering"
    icon = "fa-solid fa-hand-holding-heart"
    category = "Career"
    schema = VolunteerBase
    column_list: ClassVar[Any] = [
        "organization",
        "position",
        "start_date",
        "end_date",
        "is_published",
        "sort_order",
    ]
    column_formatters = _PERIOD_FORMATTERS
    column_searchable_list: ClassVar[Any] = ["organization", "position"]
    column_sortable_list: ClassVar[Any] = [
        "organization",
        "start_date",
        "end_date",
        "is_published",
        "sort_order",
    ]
    column_default_sort: ClassVar[Any] = [("sort_order", False), ("start_date", True)]


def _dated_entry_formatters(date_attr: str, precision_attr: str) -> dict[Any, Any]:
    return {
        date_attr: _partial_date(date_attr, precision_attr),
        "is_published": _flag("is_published"),
    }


class AwardAdmin(_PublishActions, model=Award):
    name = "Award"
    icon = "fa-solid fa-trophy"
    category = "Recognition"
    schema = AwardBase
    column_list: ClassVar[Any] = ["title", "awarder", "date", "is_published", "sort_order"]
    column_formatters = _dated_entry_formatters("date", "date_precision")
    column_searchable_list: ClassVar[Any] = ["title", "awarder"]
    column_sortable_list: ClassVar[Any] = ["title", "date", "is_published", "sort_order"]
    column_default_sort: ClassVar[Any] = [("sort_order", False), ("date", True)]


class CertificateAdmin(_PublishActions, model=Certificate):
    name = "Certificate"
    icon = "fa-solid fa-certificate"
    category = "Recognition"
    schema = CertificateBase
    column_list: ClassVar[Any] = ["name", "issuer", "date", "is_published", "sort_order"]
    column_formatters = _dated_entry_formatters("date", "date_precision")
    column_searchable_list: ClassVar[Any] = ["name", "issuer"]
    column_sortable_list: ClassVar[Any] = ["name", "date", "is_published", "sort_order"]
    column_default_sort: ClassVar[Any] = [("sort_order", False), ("date", True)]


class PublicationAdmin(_PublishActions, model=Publication):
    name = "Publication"
    icon = "fa-solid fa-book"
    category = "Recognition"
    schema = PublicationBase
    column_list: ClassVar[Any] = [
        "name",
        "publisher",
        "release_date",
        "is_published",
        "sort_order",
    ]
    column_labels: ClassVar[dict[Any, str]] = {**_ENTRY_LABELS, "release_date": "Released"}
    column_formatters = _dated_entry_formatters("release_date", "release_date_precision")
    column_searchable_list: ClassVar[Any] = ["name", "publisher"]
    column_sortable_list: ClassVar[Any] = ["name", "release_date", "is_published", "sort_order"]
    column_default_sort: ClassVar[Any] = [("sort_order", False), ("release_date", True)]


class LanguageAdmin(_PublishActions, model=Language):
    name = "Language"
    icon = "fa-solid fa-language"
    category = "Skills"
    schema = LanguageBase
    column_list: ClassVar[Any] = ["language", "fluency", "is_published", "sort_order"]
    column_formatters: ClassVar[dict[Any, Any]] = {"is_published": _flag("is_published")}
    column_searchable_list: ClassVar[Any] = ["language", "fluency"]
    column_sortable_list: ClassVar[Any] = ["language", "is_published", "sort_order"]
    column_default_sort: ClassVar[Any] = [("sort_order", False), ("language", False)]


class InterestAdmin(_PublishActions, model=Interest):
    name = "Interest"
    icon = "fa-solid fa-heart"
    category = "Personal"
    schema = InterestBase
    column_list: ClassVar[Any] = ["name", "keywords", "is_published", "sort_order"]
    column_formatters: ClassVar[dict[Any, Any]] = {
        "is_published": _flag("is_published"),
        "keywords": _names("keywords"),
    }
    column_searchable_list: ClassVar[Any] = ["name"]
    column_sortable_list: ClassVar[Any] = ["name", "is_published", "sort_order"]
    column_default_sort: ClassVar[Any] = [("sort_order", False), ("name", False)]


class ReferenceAdmin(_PublishActions, model=Reference):
    name = "Reference"
    icon = "fa-solid fa-quote-left"
    category = "Personal"
    schema = ReferenceBase
    column_list: ClassVar[Any] = ["name", "reference", "is_published", "sort_order"]
    column_formatters: ClassVar[dict[Any, Any]] = {"is_published": _flag("is_published")}
    column_searchable_list: ClassVar[Any] = ["name", "reference"]
    column_sortable_list: ClassVar[Any] = ["name", "is_published", "sort_order"]
    column_default_sort: ClassVar[Any] = [("sort_order", False), ("name", False)]


class AdminUserAdmin(CMSModelView, model=AdminUser):
    name = "Admin account"
    icon = "fa-solid fa-user-shield"
    category = "Back office"
    can_export = False
    column_list: ClassVar[Any] = ["username", "is_active", "last_login_at", "created_at"]
    column_labels: ClassVar[dict[Any, str]] = {
        "is_active": "Active",
        "last_login_at": "Last login",
        "created_at": "Created",
    }
    column_formatters: ClassVar[dict[Any, Any]] = {"is_active": _flag("is_active")}
    column_searchable_list: ClassVar[Any] = ["username"]
    column_sortable_list: ClassVar[Any] = ["username", "is_active", "last_login_at"]
    column_default_sort: ClassVar[Any] = [("username", False)]
    column_details_exclude_list: ClassVar[Sequence[Any]] = ["password_hash"]
    form_columns: ClassVar[Sequence[Any]] = ["username", "is_active"]
    form_args: ClassVar[dict[str, dict[str, Any]]] = {
        "is_active": {"label": "Active", "description": "Inactive accounts cannot log in."},
    }

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        form_class = await super().scaffold_form(rules)
        password = PasswordField(
            "New password",
            validators=[OptionalValue()],
            description="At least 12 characters. Leave empty to keep the current password.",
            render_kw={"class": "form-control", "autocomplete": "new-password"},
        )
        return type(form_class.__name__, (form_class,), {"new_password": password})

    def form_problems(self, data: dict[str, Any]) -> dict[str, list[str]]:
        """Username rules and the password policy of the CLI."""
        problems: dict[str, list[str]] = {}
        try:
            check_username(str(data.get("username") or ""))
        except AccountError as exc:
            problems["username"] = [str(exc)]
        password = data.get("new_password") or ""
        if password:
            try:
                check_password(password)
            except AccountError as exc:
                problems["new_password"] = [str(exc)]
        return problems

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """Normalise the username and hash a new password (never stored or logged in clear)."""
        password = data.pop("new_password", None) or ""
        if not is_created and model.username == get_current_user_id(request):
            if not data.get("is_active", True):
                raise AdminWriteError("You cannot deactivate the account you are logged in with.")
        try:
            data["username"] = check_username(str(data.get("username") or model.username or ""))
            if password:
                check_password(password)
        except AccountError as exc:
            raise AdminWriteError(str(exc)) from None
        if password:
            model.password_hash = hash_password(password)
        elif is_created:
            raise AdminWriteError("A new account needs a password.")

    def redact(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Never copy password hashes into the audit log."""
        if "password_hash" in changes:
            changes = {**changes, "password_hash": _REDACTED}
        return changes

    async def delete_model(self, request: Request, pk: Any) -> None:
        """Delete an account, but never the one in use."""
        async with self.session_maker() as session:
            user = await self._get(session, pk)
        if user.username == get_current_user_id(request):
            raise AdminWriteError("You cannot delete the account you are logged in with.")
        await super().delete_model(request, pk)


class _ReadOnlyView(CMSModelView):
    can_create = False
    can_edit = False
    can_delete = False


class AuditLogAdmin(_ReadOnlyView, model=AuditLog):
    name = "Audit entry"
    name_plural = "Audit log"
    icon = "fa-solid fa-clipboard-list"
    category = "Back office"
    page_size = 50
    page_size_options: ClassVar[Sequence[int]] = [50, 100]
    column_list: ClassVar[Any] = [
        "created_at",
        "username",
        "action",
        "table_name",
        "record_id",
        "record_label",
    ]
    column_labels: ClassVar[dict[Any, str]] = {
        "created_at": "When",
        "username": "Who",
        "table_name": "Table",
        "record_id": "ID",
        "record_label": "Record",
    }
    column_searchable_list: ClassVar[Any] = ["username", "table_name", "record_label"]
    column_sortable_list: ClassVar[Any] = ["created_at", "username", "action", "table_name"]
    column_default_sort: ClassVar[Any] = [("created_at", True), ("id", True)]
    column_filters: ClassVar[Any] = [
        AllUniqueStringValuesFilter("action", title="Action"),
        AllUniqueStringValuesFilter("table_name", title="Table"),
    ]
    column_details_exclude_list: ClassVar[Sequence[Any]] = []


class LoginAttemptAdmin(_ReadOnlyView, model=LoginAttempt):
    name = "Failed login"
    name_plural = "Failed logins"
    icon = "fa-solid fa-user-lock"
    category = "Back office"
    can_export = False
    page_size = 50
    page_size_options: ClassVar[Sequence[int]] = [50, 100]
    column_list: ClassVar[Any] = ["created_at", "username", "client"]
    column_labels: ClassVar[dict[Any, str]] = {"created_at": "When", "client": "Client address"}
    column_searchable_list: ClassVar[Any] = ["username", "client"]
    column_sortable_list: ClassVar[Any] = ["created_at", "username", "client"]
    column_default_sort: ClassVar[Any] = [("created_at", True)]
    column_details_exclude_list: ClassVar[Sequence[Any]] = []


ALL_VIEWS: tuple[type[CMSModelView], ...] = (
    BasicsAdmin,
    ProfileAdmin,
    WorkAdmin,
    ProjectAdmin,
    EducationAdmin,
    VolunteerAdmin,
    SkillAdmin,
    TechnologyAdmin,
    LanguageAdmin,
    AwardAdmin,
    CertificateAdmin,
    PublicationAdmin,
    InterestAdmin,
    ReferenceAdmin,
    AdminUserAdmin,
    AuditLogAdmin,
    LoginAttemptAdmin,
)
"""Every view, in menu order."""
