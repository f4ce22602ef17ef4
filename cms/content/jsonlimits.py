"""JSON every writer can store: the one parse of an uploaded document, with limits.

Python's ``json`` accepts documents the rest of the system cannot hold: nesting deep enough to
exhaust the interpreter's recursion (``RecursionError``), integers longer than ``int`` converts
(``ValueError``), ``NaN`` and ``1e999``, NUL characters and lone surrogates, which PostgreSQL
refuses only at commit. :func:`parse_json` refuses each one with the JSON path of its value,
before anything else reads the document. Depth and the number of values are read from the text
first (strings blanked out, at the speed of a regular expression), so the per-value work that
follows is bounded whatever a document holds. Standard library only.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "MAX_NUMBER_CHARS",
    "MAX_VALUES",
    "JSONLimitError",
    "PathParts",
    "parse_json",
]

MAX_DEPTH = 32
"""The deepest nesting of arrays and objects (a JSON Resume document needs 5)."""
MAX_NUMBER_CHARS = 40
"""The longest number, as written (a rating is 1 character, a float's digits at most 17)."""
MAX_VALUES = 100_000
"""The most values (strings, numbers, arrays …) in one document; a long CV holds a few thousand."""

PathParts = tuple[str | int, ...]
"""Where a value is: keys and indexes from the document's root."""

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]', re.DOTALL)
_DEPTH_CHANGE = {"[": 1, "{": 1, "]": -1, "}": -1}
_TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"


class JSONLimitError(ValueError):
    """A document is JSON but holds values no writer stores; ``problems`` says where and why."""

    def __init__(self, problems: list[tuple[PathParts, str]]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} value(s) over the JSON limits")


class _Refused:
    """Stands in for a number the parse refused, until the walk finds its path."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


class _Frame:
    """An array or object being read: where in it the reader is."""

    __slots__ = ("is_object", "place", "wants_key")

    def __init__(self, *, is_object: bool) -> None:
        self.is_object = is_object
        self.place: str | int = 0
        self.wants_key = is_object

    def next(self) -> None:
        """Move past a comma: the next item, or the next key."""
        if self.is_object:
            self.wants_key = True
        else:
            self.place = int(self.place) + 1


def _deep_path(text: str) -> PathParts | None:
    """The path of the first array or object nested deeper than :data:`MAX_DEPTH`, if any."""
    frames: list[_Frame] = []
    for token in _TOKEN.finditer(text):
        char = token.group()
        if char in "[{":
            if len(frames) == MAX_DEPTH:
                return tuple(frame.place for frame in frames)
            frames.append(_Frame(is_object=char == "{"))
        elif char in "]}" and frames:
            frames.pop()
        elif char == "," and frames:
            frames[-1].next()
        elif char.startswith('"') and frames and frames[-1].wants_key:
            frames[-1].place, frames[-1].wants_key = json.loads(char), False
    return None  # unbalanced brackets: not JSON, which the parse reports


def _check_shape(text: str) -> None:
    """Refuse too many values or too deep a nesting, from the text alone."""
    skeleton = _STRING.sub('""', text)
    values = sum(skeleton.count(char) for char in ",[{")
    if values > MAX_VALUES:
        raise JSONLimitError([((), f"holds more than {MAX_VALUES:,} values")])
    brackets = _NOT_BRACKET.sub("", skeleton)
    if max(accumulate(map(_DEPTH_CHANGE.__getitem__, brackets)), default=0) > MAX_DEPTH:
        deep = _deep_path(text)
        if deep is not None:
            raise JSONLimitError([(deep, _TOO_DEEP)])


def _number(text: str, convert: type[int] | type[float]) -> Any:
    if len(text) > MAX_NUMBER_CHARS:
        return _Refused(f"a number of {len(text):,} characters; at most {MAX_NUMBER_CHARS}")
    value = convert(text)
    if isinstance(value, float) and not math.isfinite(value):
        return _Refused(f"{text} is too large a number")
    return value


def _constant(text: str) -> _Refused:
    return _Refused(f"{text} is not a JSON number")


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which cannot be stored"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate (\\ud800–\\udfff), which is not Unicode text"
    return None


def _walk(document: Any) -> list[tuple[PathParts, str]]:
    """Every refused value of a parsed document, in reading order, with its path."""
    problems: list[tuple[PathParts, str]] = []
    stack: list[tuple[PathParts, Any]] = [((), document)]
    while stack:
        parts, value = stack.pop()
        if isinstance(value, _Refused):
            problems.append((parts, value.message))
        elif isinstance(value, str):
            if found := _string_problem(value):
                problems.append((parts, found))
        elif isinstance(value, list):
            indexed = reversed(list(enumerate(value)))
            stack.extend(((*parts, index), item) for index, item in indexed)
        elif isinstance(value, dict):
            for key in reversed(value):
                stack.append(((*parts, key), value[key]))
                if found := _string_problem(key):
                    stack.append(((*parts, key), _Refused(f"its name {found}")))
    return problems


def parse_json(text: str) -> Any:
    """The value of ``text``; raises :class:`JSONLimitError` for values over the limits.

    Raises :class:`json.JSONDecodeError` when ``text`` is not JSON.
    """
    _check_shape(text)
    document = json.loads(
        text,
        parse_int=lambda found: _number(found, int),
        parse_float=lambda found: _number(found, float),
        parse_constant=_constant,
    )
    problems = _walk(document)
    if problems:
        raise JSONLimitError(problems)
    return document
