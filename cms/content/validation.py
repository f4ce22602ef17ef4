"""Validate writes with the ``XBase`` schemas (table models skip pydantic validation).

:func:`field_errors` runs ``XBase.model_validate`` and returns readable messages keyed by
field name, so any writer (admin form, CLI, import) can show them where they belong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

__all__ = ["RECORD", "field_errors", "readable_message"]

RECORD = ""
"""Key for errors that belong to the record as a whole rather than one field."""

_PATTERN_HINTS = {
    "slug": "Use lower-case letters, digits and single hyphens, e.g. my-project.",
}


def _humanize(name: str) -> str:
    return name.replace("_", " ")


def readable_message(error: ErrorDetails) -> str:
    """One pydantic error as a sentence for a person."""
    field = str(error["loc"][0]) if error["loc"] else ""
    if error["type"] == "string_pattern_mismatch" and field in _PATTERN_HINTS:
        return _PATTERN_HINTS[field]
    message = error["msg"].removeprefix("Value error, ")
    message = re.sub(r"\b([a-z]+(?:_[a-z]+)+)\b", lambda m: _humanize(m.group(1)), message)
    message = message[:1].upper() + message[1:]
    return message if message.endswith(".") else f"{message}."


def _owner_field(error: ErrorDetails, fields: Mapping[str, Any]) -> str:
    if error["loc"]:
        return str(error["loc"][0])
    # A model-level rule ("end_date must not be before start_date"): pin it on the field
    # its message names first, which is the one to correct.
    msg = error["msg"]
    named = [(msg.find(name), name) for name in fields if re.search(rf"\b{name}\b", msg)]
    return min(named)[1] if named else RECORD


def field_errors(schema: type[BaseModel], data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Validate the schema's fields of ``data``; messages by field name (empty if valid)."""
    values = {name: data[name] for name in schema.model_fields if name in data}
    errors: dict[str, list[str]] = {}
    # Model-level rules (end after start) only run once every field is valid: validate
    # again without the failed fields that have defaults, to report those rules as well.
    for _attempt in range(2):
        try:
            schema.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                field = _owner_field(error, schema.model_fields)
                message = readable_message(error)
                if message not in errors.get(field, []):
                    errors.setdefault(field, []).append(message)
            failed = {name for name in errors if name in values}
            if not failed or any(schema.model_fields[name].is_required() for name in failed):
                break
            values = {name: value for name, value in values.items() if name not in failed}
        else:
            break
    return errors
