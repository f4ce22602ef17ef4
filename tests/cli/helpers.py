"""Helpers of the ``cms`` command's tests: documents on disk, the database's state."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from cms.content.session import make_sessionmaker
from cms.core.db import create_engine
from tests.content.documents import content_state
from tests.databases import make_settings

__all__ = ["import_document", "state", "write_document"]


def state(database_url: str) -> dict[str, Any]:
    """Every content row and the content version, read through a fresh engine."""

    async def read() -> dict[str, Any]:
        engine = create_engine(make_settings(database_url))
        try:
            async with make_sessionmaker(engine)() as session:
                return await content_state(session)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def write_document(tmp_path: Path, document: Any, name: str = "cv.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def import_document(cms: CliRunner, tmp_path: Path, document: Any, *options: str) -> Result:
    """``cms import`` of ``document`` (written to ``tmp_path``) with ``options``."""
    from cms.cli import app

    return cms.invoke(app, ["import", str(write_document(tmp_path, document)), *options])
