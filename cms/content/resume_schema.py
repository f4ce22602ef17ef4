"""Problems of a JSON Resume document: the official schema, our extensions' types, JSON paths.

The official schema is ``schema/resume-schema-1.0.0.json`` (Draft 7 validator, formats ``date``,
``email`` and ``uri`` asserted for exports; import leaves URLs and emails to the write schemas,
as warnings); our extension properties are typed by a second schema made from the sections'
field maps. Every problem carries the JSON path of its value (``$.work[2].endDate``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer

from cms.content.basics import PROFILES
from cms.content.jsonlimits import JSONLimitError, PathParts, parse_json
from cms.content.record import ResumeField, Section
from cms.content.sections import sections_in_document

if TYPE_CHECKING:
    # Imported where used: jsonschema costs ~200 ms of import, which GET /api/v1/resume on
    # a cold Lambda must not pay (only import and `cms export` validate).
    from jsonschema import Draft7Validator, FormatChecker
    from jsonschema.exceptions import ValidationError as SchemaError

__all__ = [
    "DATE_FORMS",
    "SCHEMA_PATH",
    "PathParts",
    "Problem",
    "ResumeValidationError",
    "finish_problems",
    "load_document",
    "schema_errors",
    "schema_problems",
]

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "resume-schema-1.0.0.json"
"""The official JSON Resume v1.0.0 schema (npm ``resume-schema@1.0.0``, MIT)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a document cannot be imported, located by a JSON path like ``$.work[2]``."""

    path: str
    message: str
    value: Any = field(default=None, compare=False, repr=False)
    """The value found at ``path`` (``None`` when there is none)."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ResumeValidationError(Exception):
    """A document was refused; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = f": {problems[0]}" if problems else ""
        super().__init__(f"{len(problems)} problem(s) in the JSON Resume document{first}")


DATE_FORMS = "YYYY, YYYY-MM or YYYY-MM-DD"
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _json_type(section: Section, field: ResumeField) -> dict[str, Any]:
    """The JSON type of a field-map entry, from its kind and its column."""
    if field.kind in ("list", "technologies"):
        return {"type": "array", "items": {"type": "string"}}
    if field.kind == "flag":
        return {"type": "boolean"}
    if field.kind == "number":
        column = section.table.__table__.columns[field.column]  # type: ignore[attr-defined]
        return {"type": "integer" if isinstance(column.type, Integer) else "number"}
    return {"type": "string"}


def _extensions_schema() -> dict[str, Any]:
    """The types of every section's fields, from the field maps.

    The official schema allows, but does not type, our extension properties (``published``,
    ``featured``, ``slug`` …); typing the official ones again changes nothing.
    """

    def items(section: Section) -> dict[str, Any]:
        properties = {
            field.key: _json_type(section, field)
            for field in section.resume
            if field.kind not in ("date", "full_date")
        }
        return {"items": {"properties": {"published": {"type": "boolean"}, **properties}}}

    sections = {section.name: items(section) for section in sections_in_document()}
    sections["basics"] = {"properties": {"profiles": items(PROFILES)}}
    return {"properties": sections}


def _format_checker(*, strict: bool) -> FormatChecker:
    from jsonschema import FormatChecker

    if not strict:  # import: URLs and emails are checked by the write schemas, as warnings
        return FormatChecker(formats=("date",))
    checker = FormatChecker(formats=("date", "email"))

    # jsonschema checks "uri" only with an optional package. RFC 3986 asks for a scheme; ""
    # passes, as with the project's own validator (its sample uses "" for "no URL").
    @checker.checks("uri")
    def _is_uri(instance: object) -> bool:
        return not isinstance(instance, str) or not instance or bool(_URI.fullmatch(instance))

    return checker


@cache
def _validators(*, strict: bool = True) -> tuple[Draft7Validator, Draft7Validator]:
    from jsonschema import Draft7Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    # The file says draft-04; the jsonresume project checks it against draft-07, and nothing
    # in it reads differently under draft-07.
    checker = _format_checker(strict=strict)
    return (
        Draft7Validator(schema, format_checker=checker),
        Draft7Validator(_extensions_schema(), format_checker=checker),
    )


def _schema_error_problems(error: SchemaError) -> list[tuple[PathParts, str]]:
    parts: PathParts = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        return [
            (
                (*parts, key),
                "unknown property (JSON Resume v1.0.0 allows no extra top-level properties)",
            )
            for key in error.instance
            if key not in allowed
        ]
    if error.validator == "pattern" and error.validator_value == _iso8601_pattern():
        return [(parts, f"{error.instance!r} is not a date in the form {DATE_FORMS}")]
    if error.validator == "format" and error.validator_value == "date":
        return [(parts, f"{error.instance!r} is not a full date (YYYY-MM-DD)")]
    if error.validator == "format" and error.validator_value == "uri":
        return [(parts, f"{error.instance!r} is not a URL (e.g. https://example.com/page)")]
    return [(parts, error.message)]


@cache
def _iso8601_pattern() -> str:
    return str(_validators()[0].schema["definitions"]["iso8601"]["pattern"])


def schema_problems(document: Any) -> list[Problem]:
    """Problems of ``document`` against the official JSON Resume v1.0.0 schema alone."""
    official, _ = _validators()
    found = [p for e in official.iter_errors(document) for p in _schema_error_problems(e)]
    return finish_problems(document, found)


def schema_errors(document: Any) -> list[tuple[PathParts, str]]:
    """Structural problems found by the official and our extensions' schema, by path parts.

    Formats themes ignore (``uri``, ``email``) are left to the write schemas, which report
    them as warnings.
    """
    return [
        problem
        for validator in _validators(strict=False)
        for error in validator.iter_errors(document)
        for problem in _schema_error_problems(error)
    ]


def _doc_order(document: Any, parts: PathParts) -> tuple[int, ...]:
    """Where a path points in the document, so problems come out in reading order."""
    order: list[int] = []
    node = document
    for part in parts:
        if isinstance(part, int):
            order.append(part)
            node = node[part] if isinstance(node, list) and part < len(node) else None
        elif isinstance(node, dict) and part in node:
            order.append(list(node).index(part))
            node = node[part]
        else:
            order.append(1_000_000)
            node = None
    return tuple(order)


def _json_path(parts: PathParts) -> str:
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            path += f".{part}"
        else:
            path += f"[{json.dumps(part)}]"
    return path


def finish_problems(document: Any, found: list[tuple[PathParts, str]]) -> list[Problem]:
    """Problems without repeats, in reading order, each with its JSON path."""
    unique = list(dict.fromkeys(found))
    unique.sort(key=lambda problem: _doc_order(document, problem[0]))
    return [
        Problem(_json_path(parts), message, _value_at(document, parts)) for parts, message in unique
    ]


def _value_at(document: Any, parts: PathParts) -> Any:
    node = document
    for part in parts:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(part, str) and isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def _size(count: int) -> str:
    return f"{count / 1_048_576:.1f} MiB" if count >= 1_048_576 else f"{count:,} bytes"


def load_document(raw: bytes, *, max_bytes: int) -> Any:
    """The JSON of a document, as every writer reads it (:func:`cms.content.jsonlimits.parse_json`).

    Raises :class:`ResumeValidationError` if it is too big, not JSON or over the JSON limits.
    """
    if len(raw) > max_bytes:
        size, limit = _size(len(raw)), _size(max_bytes)
        message = f"the document is {size}; at most {limit} are accepted (RESUME_MAX_BYTES)"
        raise ResumeValidationError([Problem("$", message)])
    try:
        return parse_json(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResumeValidationError([Problem("$", f"not valid JSON: {exc}")]) from None
    except JSONLimitError as exc:
        found = [Problem(_json_path(parts), message) for parts, message in exc.problems]
        raise ResumeValidationError(found) from None
