"""Reading a static copy back and comparing it with the API, object by object."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from cms.content.publish import PUBLISHED
from cms.staticpub.documents import Document
from cms.staticpub.folder import CURRENT, file_name

__all__ = ["assert_as_the_api", "folder_copy", "whole_cv_paths"]


def folder_copy(root: Path) -> dict[str, tuple[bytes, dict[str, Any]]]:
    """Every path of the folder's current copy: its bytes and its manifest entry."""
    current = root / CURRENT
    manifest = json.loads((current / "manifest.json").read_text())
    copy = {}
    for path, entry in manifest["paths"].items():
        document = Document(path[1:], entry["etag"], entry["content_type"], "")
        copy[path] = ((current / file_name(document)).read_bytes(), entry)
    return copy


def whole_cv_paths() -> set[str]:
    """Paths every copy holds once a CV is written: each stored response and its alias."""
    paths = {p.path for p in PUBLISHED}
    return paths | {path.replace("/api/v1/", "/api/") for path in paths if "/api/v1/" in path}


async def assert_as_the_api(
    client: httpx.AsyncClient, copy: dict[str, tuple[bytes, dict[str, Any]]]
) -> None:
    """Each path of ``copy`` has the API's bytes, type, cache rule and ETag."""
    for path, (body, entry) in copy.items():
        answer = await client.get(path)
        assert answer.status_code == 200, path
        assert body == answer.content, path
        assert entry["content_type"] == answer.headers["content-type"], path
        assert entry["cache_control"] == answer.headers["cache-control"], path
        assert entry["etag"] == answer.headers["etag"], path
