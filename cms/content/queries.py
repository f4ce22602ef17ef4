"""What a public request may ask of a published list: filters and details, as data.

A section's record declares its rules (``Filter("category", Text())``,
``Detail("id_or_slug", SLUG, by=("id", "slug"))``); :mod:`cms.content.publish` stores them with
each list it publishes. The FastAPI routes (:mod:`cms.public.routes`) and the light read path
(:mod:`cms.public.readpath`) both check a request with :func:`ask` and answer it with
:func:`select`, so their ``422`` details and their bodies agree by construction.

Standard library only, and named tuples rather than dataclasses: the read path imports this
module on a Lambda cold start, where pydantic is not loaded and each dataclass costs a
millisecond; without ``from __future__ import annotations``, as a named tuple's string
annotations are compiled at import. The messages and error types are pydantic's, which clients
already know.
"""

import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from cms.core.dburl import MAX_ID

__all__ = [
    "API_V1_PREFIX",
    "SLUG",
    "SLUG_PATTERN",
    "Derived",
    "Detail",
    "Filter",
    "Flag",
    "Integer",
    "Invalid",
    "Rules",
    "Stored",
    "Text",
    "Wanted",
    "ask",
    "entries",
    "select",
]

API_V1_PREFIX = "/api/v1"
"""Where the published lists and whole-CV responses of the API are served."""

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
"""A slug: lower-case words of letters and digits joined by single hyphens."""

_BOOLEANS = {
    **dict.fromkeys(("1", "true", "t", "yes", "y", "on"), True),
    **dict.fromkeys(("0", "false", "f", "no", "n", "off"), False),
}
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]+$"

Errors = list[dict[str, Any]]


def _error(where: str, name: str, kind: str, message: str) -> dict[str, Any]:
    return {"loc": [where, name], "msg": message, "type": kind}


class Flag(NamedTuple):
    """A boolean parameter (``true``/``false``, ``1``/``0``, ``yes``/``no``, ``on``/``off``)."""

    def parse(self, where: str, name: str, raw: str, errors: Errors) -> Any:
        """The value of ``raw``, or ``None`` with an error added."""
        value = _BOOLEANS.get(raw.strip().lower())
        if value is None:
            message = "Input should be a valid boolean, unable to interpret input"
            errors.append(_error(where, name, "bool_parsing", message))
        return value

    def schema(self) -> dict[str, Any]:
        """Its JSON Schema, for OpenAPI."""
        return {"type": "boolean"}


class Text(NamedTuple):
    """A text parameter of bounded length that matches ``pattern``.

    By default no control characters: they cannot be stored, so they cannot match anything
    (and PostgreSQL refuses a NUL with an error instead of finding no rows).
    """

    min_length: int = 1
    max_length: int = 100
    pattern: str = _NO_CONTROL_CHARACTERS

    def parse(self, where: str, name: str, raw: str, errors: Errors) -> Any:
        """``raw`` if it follows the rule, or ``None`` with an error added."""
        if len(raw) < self.min_length:
            plural = "" if self.min_length == 1 else "s"
            message = f"String should have at least {self.min_length} character{plural}"
            errors.append(_error(where, name, "string_too_short", message))
        elif len(raw) > self.max_length:
            message = f"String should have at most {self.max_length} characters"
            errors.append(_error(where, name, "string_too_long", message))
        elif not re.match(self.pattern, raw):
            message = f"String should match pattern '{self.pattern}'"
            errors.append(_error(where, name, "string_pattern_mismatch", message))
        else:
            return raw
        return None

    def schema(self) -> dict[str, Any]:
        """Its JSON Schema, for OpenAPI."""
        schema: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.min_length:
            schema["minLength"] = self.min_length
        return schema | {"pattern": self.pattern}


class Integer(NamedTuple):
    """A whole number between ``ge`` and ``le``."""

    ge: int = 1
    le: int = MAX_ID

    def parse(self, where: str, name: str, raw: str, errors: Errors) -> Any:
        """The number ``raw`` spells, or ``None`` with an error added."""
        if not _INTEGER.match(raw):
            message = "Input should be a valid integer, unable to parse string as an integer"
            errors.append(_error(where, name, "int_parsing", message))
            return None
        number = int(raw)
        if number < self.ge:
            message = f"Input should be greater than or equal to {self.ge}"
            errors.append(_error(where, name, "greater_than_equal", message))
        elif number > self.le:
            message = f"Input should be less than or equal to {self.le}"
            errors.append(_error(where, name, "less_than_equal", message))
        else:
            return number
        return None

    def schema(self) -> dict[str, Any]:
        """Its JSON Schema, for OpenAPI."""
        return {"type": "integer", "minimum": self.ge, "maximum": self.le}


Kind = Flag | Text | Integer
SLUG = Text(min_length=0, max_length=120, pattern=SLUG_PATTERN)
"""A slug as a path or query parameter."""


class Filter(NamedTuple):
    """A query parameter that keeps the entries whose ``field`` equals its value.

    Text compares ignoring case; ``field`` defaults to the parameter's name.
    """

    name: str
    kind: Kind
    description: str = ""
    field: str = ""

    def keeps(self, entry: dict[str, Any], value: Any) -> bool:
        """Whether ``entry`` passes this filter set to ``value``."""
        found = entry.get(self.field or self.name)
        if isinstance(value, str):
            return str(found if found is not None else "").lower() == value.lower()
        return found is value

    def parameter(self) -> dict[str, Any]:
        """Its OpenAPI parameter."""
        schema = self.kind.schema()
        return {"name": self.name, "in": "query", "required": False, "schema": schema} | (
            {"description": self.description} if self.description else {}
        )


class Detail(NamedTuple):
    """``/<list>/{param}``: one entry found by the fields in ``by``, tried in order.

    A field ``id`` is tried only with a number (an all-digit slug such as ``2048`` is valid, so
    a number that names no entry is tried as the next field). ``missing`` is the 404 message.
    """

    param: str
    kind: Kind
    by: tuple[str, ...] = ("id",)
    missing: str = "{key!r} not found"
    description: str = ""

    def matchers(self, key: Any) -> list[Callable[[dict[str, Any]], bool]]:
        """One test per field of ``by`` that ``key`` can name."""
        tests: list[Callable[[dict[str, Any]], bool]] = []
        for field in self.by:
            if field == "id":
                if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                    number = int(key)
                    tests.append(lambda entry, n=number: entry.get("id") == n)  # type: ignore[misc]
            else:
                tests.append(lambda entry, f=field: entry.get(f) == key)  # type: ignore[misc]
        return tests

    def parameter(self) -> dict[str, Any]:
        """Its OpenAPI parameter."""
        return {
            "name": self.param,
            "in": "path",
            "required": True,
            "schema": self.kind.schema(),
            "description": self.description,
        }


_KINDS: dict[str, type[Flag] | type[Text] | type[Integer]] = {
    "flag": Flag,
    "text": Text,
    "integer": Integer,
}


def _kind_json(kind: Kind) -> dict[str, Any]:
    name = next(key for key, cls in _KINDS.items() if isinstance(kind, cls))
    fields = kind._asdict()
    return {"kind": name, **fields}


def _kind_from(data: dict[str, Any]) -> Kind:
    fields = dict(data)
    return _KINDS[fields.pop("kind")](**fields)


class Rules(NamedTuple):
    """What requests to one published list may ask: its filters and its detail path."""

    filters: tuple[Filter, ...] = ()
    detail: Detail | None = None

    def to_json(self) -> str:
        """The rules as JSON text, stored with the list they belong to."""
        data: dict[str, Any] = {
            "filters": [
                {"name": f.name, "field": f.field, "type": _kind_json(f.kind)} for f in self.filters
            ]
        }
        if self.detail is not None:
            detail = self.detail
            data["detail"] = {
                "param": detail.param,
                "by": list(detail.by),
                "missing": detail.missing,
                "type": _kind_json(detail.kind),
            }
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> "Rules":
        """The rules stored as ``text`` (``None``: a document that takes no parameters)."""
        if not text:
            return cls()
        data = json.loads(text)
        filters = tuple(
            Filter(item["name"], _kind_from(item["type"]), field=item["field"])
            for item in data["filters"]
        )
        detail = data.get("detail")
        if detail is None:
            return cls(filters)
        by, missing = tuple(detail["by"]), detail["missing"]
        return cls(filters, Detail(detail["param"], _kind_from(detail["type"]), by, missing))


class Stored(NamedTuple):
    """The published document at ``path``, as it is."""

    path: str


class Derived(NamedTuple):
    """The entries of the list at ``path`` that ``keep`` accepts.

    ``one`` answers with the first such entry (a detail) or ``missing`` (a 404 message).
    """

    path: str
    keep: Callable[[dict[str, Any]], bool]
    one: bool = False
    missing: str = ""
    fallback: "Derived | None" = None
    """For a detail: what to try when no entry matched."""


class Invalid(NamedTuple):
    """A ``422``: the request breaks the rules (``details`` in pydantic's words)."""

    details: Errors


Wanted = Stored | Derived | Invalid


def _query(raw: str, filters: tuple[Filter, ...], errors: Errors) -> dict[str, Any]:
    """The filters' values (the last one of each, as Starlette reads it); unknown names fail."""
    values = dict(parse_qsl(raw, keep_blank_values=True))
    by_name = {f.name: f for f in filters}
    errors.extend(
        _error("query", name, "extra_forbidden", "Extra inputs are not permitted")
        for name in values
        if name not in by_name
    )
    parsed = {}
    for item in filters:
        if item.name in values:
            value = item.kind.parse("query", item.name, values[item.name], errors)
            if value is not None:
                parsed[item.name] = value
    return parsed


def _filtered(path: str, rules: Rules, query: str) -> Wanted:
    if not query:  # the common case, answered without parsing anything
        return Stored(path)
    errors: Errors = []
    values = _query(query, rules.filters, errors)
    if errors:
        return Invalid(errors)
    if not values:
        return Stored(path)
    active = [(f, values[f.name]) for f in rules.filters if f.name in values]
    return Derived(path, lambda entry: all(f.keeps(entry, value) for f, value in active))


def _detail(path: str, detail: Detail, raw_key: str, query: str) -> Wanted:
    errors: Errors = []
    key = detail.kind.parse("path", detail.param, raw_key, errors)
    _query(query, (), errors)
    if errors:
        return Invalid(errors)
    missing = detail.missing.format(key=key)
    found: Derived | None = None
    for test in reversed(detail.matchers(key)):
        found = Derived(path, test, True, missing, found)
    return found or Derived(path, lambda _entry: False, True, missing)


def ask(path: str, query: str, rules_of: Callable[[str], Rules | None]) -> Wanted | None:
    """What ``path?query`` asks for, or ``None``: no published document answers it.

    ``rules_of(path)`` gives the rules of the document published at ``path``, or ``None``.
    """
    rules = rules_of(path)
    if rules is not None:
        return _filtered(path, rules, query)
    parent, _, key = path.rpartition("/")
    parent_rules = rules_of(parent) if key else None
    if parent_rules is None or parent_rules.detail is None:
        return None
    return _detail(parent, parent_rules.detail, key, query)


def entries(body: bytes) -> list[tuple[dict[str, Any], str]]:
    """The entries of a compact JSON list, each parsed and as its exact text in ``body``."""
    text = body.decode()
    decoder = json.JSONDecoder()
    found: list[tuple[dict[str, Any], str]] = []
    position = 1  # after "["; published lists are compact JSON (no whitespace)
    while position < len(text) - 1:
        entry, end = decoder.raw_decode(text, position)
        found.append((entry, text[position:end]))
        position = end + 1  # past ","
    return found


def select(listed: list[tuple[dict[str, Any], str]], derived: Derived) -> bytes | None:
    """The body ``derived`` asks for from the entries of its list, or ``None`` (a 404)."""
    kept = [text for entry, text in listed if derived.keep(entry)]
    if not derived.one:
        return ("[" + ",".join(kept) + "]").encode()
    if kept:
        return kept[0].encode()
    if derived.fallback is not None:
        return select(listed, derived.fallback)
    return None
