"""CSV exports that a spreadsheet opens as data, never as formulas.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)``, DDE): such cells get a
leading apostrophe, as OWASP advises. Plain numbers (``-3``, ``+1.5``) are left alone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

__all__ = ["FORMULA_STARTS", "neutralise_cell", "neutralise_csv"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return value.strip() == value


def neutralise_cell(value: str) -> str:
    """``value``, prefixed with ``'`` if a spreadsheet would read it as a formula."""
    if value.startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


async def neutralise_csv(chunks: AsyncIterable[Any]) -> AsyncIterator[str]:
    """Re-write a CSV stream (one or more whole rows per chunk) with every cell neutralised."""
    async for chunk in chunks:
        text = chunk.decode() if isinstance(chunk, bytes) else str(chunk)
        out = io.StringIO()
        writer = csv.writer(out)
        for row in csv.reader(io.StringIO(text, newline="")):
            writer.writerow([neutralise_cell(cell) for cell in row])
        yield out.getvalue()
