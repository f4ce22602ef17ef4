"""What a CV section's record holds, and the public schema it makes.

A :class:`Section` is the one declaration of a section (:mod:`cms.content.sections` holds them
all): its table and write schema, the fields of its public schema, its JSON Resume field map,
its public order and its admin hints. The public API, the JSON Resume codec, the write path and
the back office read the records; none of them lists sections itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    create_model,
    model_serializer,
)
from sqlalchemy import JSON, Boolean, Column, Date, Float, Integer, Table, inspect
from sqlmodel import SQLModel

from cms.content.dates import format_partial_date
from cms.content.fields import Illustrated
from cms.content.queries import Detail, Filter, Rules

__all__ = [
    "TECHNOLOGY_NAMES",
    "AdminHints",
    "Computed",
    "FieldKind",
    "ResumeField",
    "RowPublic",
    "Section",
    "TechnologyLinks",
    "period",
    "resume_field",
    "words",
]

FieldKind = Literal[
    "text", "url", "email", "list", "date", "full_date", "flag", "number", "technologies", "image"
]
"""How a JSON Resume value maps to a column (see :mod:`cms.content.jsonresume`)."""


@dataclass(frozen=True, slots=True)
class ResumeField:
    """A JSON Resume property and the row attribute it maps to."""

    key: str
    column: str
    kind: FieldKind = "text"
    precision: str | None = None
    """The column holding the precision of a date."""


def resume_field(key: str, column: str | None = None, kind: FieldKind = "text") -> ResumeField:
    """A field map entry; ``column`` defaults to ``key``."""
    return ResumeField(key, column or key, kind)


def words(names: str) -> tuple[str, ...]:
    """``"a b c"`` → ``("a", "b", "c")``: field names, written compactly."""
    return tuple(names.split())


def period() -> tuple[ResumeField, ResumeField]:
    """``startDate``/``endDate`` with their precisions."""
    return (
        ResumeField("startDate", "start_date", "date", "start_precision"),
        ResumeField("endDate", "end_date", "date", "end_precision"),
    )


@dataclass(frozen=True, slots=True)
class Computed:
    """A public field computed from the row rather than read from a column."""

    type: Any
    value: Callable[[Any], Any]
    description: str | None = None
    deprecated: str | None = None
    """Why clients should stop reading the field (OpenAPI marks it deprecated)."""


TECHNOLOGY_NAMES = Computed(list[str], lambda row: [tech.name for tech in row.technologies])
"""The names of a row's technologies, in the owner's order."""


@dataclass(frozen=True, slots=True)
class AdminHints:
    """How the back office shows a section (everything else follows from the table)."""

    label: str
    icon: str
    menu: str
    columns: tuple[str, ...]
    """List columns, in order (the Published badge and the order are added)."""
    search: tuple[str, ...]
    plural: str | None = None
    filters: tuple[str, ...] = ()
    """Columns to filter the list by, beyond Published (booleans, or text: by value)."""
    form: tuple[str, ...] | None = None
    """Form fields in order; ``None``: the table's order."""
    labels: Mapping[str, str] = field(default_factory=dict)
    help: Mapping[str, str] = field(default_factory=dict)
    """Field descriptions shown under the inputs."""


class RowPublic(BaseModel):
    """A public view of one table row: its fields are read from the row by name.

    ``published`` is in previews only (dumped with the context ``{"preview": True}``): the
    stored public documents never carry it, so their bytes do not depend on it.
    """

    __section__: Section

    published: bool | None = Field(
        default=None,
        description="Previews only (a read-drafts token): `false` for a draft, `true` for a "
        "published entry. Public answers never carry it.",
    )

    @model_serializer(mode="wrap")
    def _preview_only(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo):  # type: ignore[no-untyped-def]  # no return type: the schema stays the model's
        data = handler(self)
        if isinstance(data, dict) and not (info.context or {}).get("preview"):
            data.pop("published", None)
        return data

    @classmethod
    def from_row(cls, row: Any) -> Self:
        """The public view of ``row`` (``technologies`` must be loaded where listed)."""
        section = cls.__section__
        data: dict[str, Any] = {}
        for name in cls.model_fields:
            computed = section.computed.get(name)
            if computed is not None:
                data[name] = computed.value(row)
            elif name == "published":
                data[name] = bool(row.is_published)
            elif name in section.precision_of:
                data[name] = format_partial_date(
                    getattr(row, name), getattr(row, section.precision_of[name])
                )
            else:
                data[name] = getattr(row, name)
        return cls.model_validate(data)


@dataclass(frozen=True, slots=True)
class TechnologyLinks:
    """A tagged section's link table: (owner id, technology id, position)."""

    table: Table
    owner: Column[Any]
    technology: Column[Any]


@dataclass(frozen=True, eq=False)
class Section:
    """One CV section: the single place that declares it."""

    name: str
    """JSON Resume name (``work``, ``projects``, ``profiles`` …)."""
    table: type[SQLModel]
    schema: type[SQLModel]
    """The write schema: every writer validates with it (table models skip validation)."""
    resume: tuple[ResumeField, ...]
    """The JSON Resume field map, in the document's order."""
    admin: AdminHints
    public_fields: tuple[str | tuple[str, Computed], ...] = ()
    """Fields of the public schema in JSON order: column names, or (name, computed)."""
    public_name: str = ""
    public_doc: str = ""
    path: str | None = None
    """Its public list endpoint under ``/api/v1`` (``None``: served inside another)."""
    path_doc: str = ""
    """What the list endpoint answers, for the API's reference."""
    filters: tuple[Filter, ...] = ()
    """Query parameters the list can be filtered by."""
    detail: Detail | None = None
    """``/{path}/{param}``: one entry of the list (``None``: no such path)."""
    order_date: str | None = None
    """The date that makes an entry newer in the public order (after ``sort_order``)."""
    tagged: bool = False
    """Linked to technologies (work and projects)."""
    public_model: type[BaseModel] | None = None
    """A hand-written public schema, for sections whose shape is not one row (basics)."""
    translatable: tuple[str, ...] = ()
    """Columns whose text differs per locale (texts and lists of texts only: never dates,
    URLs, slugs, numbers, e-mails or flags); :mod:`cms.content.localized`."""

    def __post_init__(self) -> None:
        kinds = {f.column: f.kind for f in self.resume}
        wrong = [name for name in self.translatable if kinds.get(name) not in ("text", "list")]
        if wrong:
            raise ValueError(f"{self.name}: only texts are translatable, not {', '.join(wrong)}")

    @cached_property
    def computed(self) -> dict[str, Computed]:
        """Public fields computed from the row."""
        return {spec[0]: spec[1] for spec in self.public_fields if isinstance(spec, tuple)}

    @cached_property
    def precision_of(self) -> dict[str, str]:
        """Each date column and the column holding its precision."""
        return {f.column: f.precision for f in self.resume if f.precision}

    @cached_property
    def public(self) -> type[BaseModel]:
        """The response schema of one entry, made from the table's columns."""
        if self.public_model is not None:
            return self.public_model
        columns = self.table.__table__.columns  # type: ignore[attr-defined]
        fields: dict[str, Any] = {}
        for spec in self.public_fields:
            if isinstance(spec, tuple):
                name, computed = spec
                info = Field(description=computed.description, deprecated=computed.deprecated)
                fields[name] = (computed.type, info)
                continue
            column = columns[spec]
            annotation = _python_type(column.type)
            if column.nullable:
                annotation = annotation | None
            described = self.schema.model_fields.get(spec)
            fields[spec] = (annotation, Field(description=described and described.description))
        model = create_model(  # type: ignore[call-overload]
            self.public_name, __base__=RowPublic, __doc__=self.public_doc, **fields
        )
        model.__section__ = self
        return model  # type: ignore[no-any-return]

    @property
    def rules(self) -> Rules:
        """What requests to its public list may ask (filters, detail)."""
        return Rules(self.filters, self.detail)

    @cached_property
    def links(self) -> TechnologyLinks:
        """The link table to technologies of a tagged section."""
        relationship = inspect(self.table).relationships["technologies"]
        ((_, owner),) = relationship.synchronize_pairs
        ((_, technology),) = relationship.secondary_synchronize_pairs
        return TechnologyLinks(relationship.secondary, owner, technology)

    @property
    def illustrated(self) -> bool:
        """Whether entries have an image, uploaded or a URL (:class:`~.fields.Illustrated`)."""
        return issubclass(self.schema, Illustrated)

    @property
    def is_list(self) -> bool:
        """Whether the section is a list of entries (everything but basics)."""
        return "sort_order" in self.table.model_fields


def _python_type(column_type: Any) -> Any:
    """The JSON-facing Python type of a column: dates are ISO text, JSON columns string lists."""
    if isinstance(column_type, Date):
        return str
    if isinstance(column_type, JSON):
        return list[str]
    for sql_type, python in ((Boolean, bool), (Integer, int), (Float, float)):
        if isinstance(column_type, sql_type):
            return python
    return str
