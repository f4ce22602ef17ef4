"""The one parse of an uploaded document: JSON as ``json`` reads it, within the limits."""

from __future__ import annotations

import json

import pytest

from cms.content.jsonlimits import (
    MAX_DEPTH,
    MAX_NUMBER_CHARS,
    MAX_VALUES,
    JSONLimitError,
    parse_json,
)
from tests.content.documents import SCHEMA_COPY, full_document


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(full_document(), ensure_ascii=False),
        (SCHEMA_COPY.parent / "sample.resume.json").read_text(encoding="utf-8"),
        '{"a": "[[[[ \\" {{{{", "b\\\\": ["]]]]"], "c": -1.5e3, "d": [true, false, null]}',
        "[" * MAX_DEPTH + "]" * MAX_DEPTH,
        "[" + "9" * MAX_NUMBER_CHARS + ", 0.1, -0, 1E+2]",
        '"caf\\u00e9 \\ud83d\\ude00"',
    ],
    ids=["full document", "official sample", "brackets in strings", "deepest", "numbers", "pair"],
)
def test_documents_within_the_limits_read_as_json_reads_them(text: str) -> None:
    assert parse_json(text) == json.loads(text)


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), [((0,) * MAX_DEPTH, "nested deeper")]),
        (
            '{"a": [1, {"b": "x", "c": ' + "[" * 40 + "]" * 40 + "}]}",
            [(("a", 1, "c", *(0,) * (MAX_DEPTH - 3)), "nested")],
        ),
        ("[" + "1" * (MAX_NUMBER_CHARS + 1) + "]", [((0,), "a number of 41 characters")]),
        ("[" + ",".join(["0"] * (MAX_VALUES + 1)) + "]", [((), "holds more than 100,000 values")]),
        ('{"a": -Infinity}', [(("a",), "-Infinity is not a JSON number")]),
        (
            '{"b": "\\u0000", "a\\u0000": ["ok", "\\udc00"]}',
            [
                (("b",), "contains a NUL character"),
                (("a\x00",), "its name contains a NUL character"),
                (("a\x00", 1), "contains a lone surrogate"),
            ],
        ),
    ],
    ids=[
        "depth",
        "depth under keys",
        "long number",
        "too many values",
        "infinity",
        "strings, in reading order",
    ],
)
def test_values_over_the_limits_are_refused_by_path(
    text: str, problems: list[tuple[tuple[str | int, ...], str]]
) -> None:
    with pytest.raises(JSONLimitError) as raised:
        parse_json(text)

    found = raised.value.problems
    assert [parts for parts, _ in found] == [parts for parts, _ in problems]
    for (_, message), (_, start) in zip(found, problems, strict=True):
        assert message.startswith(start), message
