"""The folder target (``PUBLISH_DIR``): one directory per content version, ``current`` links
to the newest complete one.

Layout::

    PUBLISH_DIR/current -> versions/<N>            (serve this: nginx ``root``)
    PUBLISH_DIR/versions/<N>/api/v1/resume.json
    PUBLISH_DIR/versions/<N>/api/v1/projects.json
    PUBLISH_DIR/versions/<N>/api/v1/projects/<slug>.json
    PUBLISH_DIR/versions/<N>/cv.html
    PUBLISH_DIR/versions/<N>/media/<id>/<variant>.webp
    PUBLISH_DIR/versions/<N>/manifest.json          (each path's API ETag and headers)

A document is its key plus the extension of its type (a static server's ``try_files $uri.json
$uri.html``): a list and its details share a prefix (``projects`` and ``projects/<slug>``), so
the key alone cannot be a file, and one file per document, without a directory each, keeps a
version cheap to build (making a directory costs as much as writing a file).

A version is built beside the others (each file written to a temporary name and renamed),
unchanged files hard-linked from the previous version, then ``current`` is switched by renaming
a new link over it: a reader sees one whole version or the other, never a mix. The previous
version stays (a reader may still be in it); older ones are removed.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from cms.staticpub.documents import Document

__all__ = ["CURRENT", "FolderTarget", "file_name"]

CURRENT = "current"
_VERSIONS = "versions"
_EXTENSIONS = {"application/json": ".json", "text/html": ".html"}


def file_name(document: Document) -> str:
    """Where ``document`` lives inside a version's directory."""
    kind = document.content_type.split(";")[0].strip()
    if document.media is not None or kind not in _EXTENSIONS:
        return document.key
    return document.key + _EXTENSIONS[kind]


def _write(path: Path, data: bytes) -> None:
    """``data`` at ``path``, atomically for readers: a temporary file in the same directory,
    renamed. Not synced to disk: after a power loss, ``cms publish --full`` rewrites the copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


class FolderTarget:
    """Static copies in one folder."""

    name = "folder"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def current(self) -> Path | None:
        """The directory ``current`` points at, if any."""
        link = self.root / CURRENT
        return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None

    def needed(self, documents: dict[str, Document], manifest: dict[str, str]) -> set[str]:
        """The keys whose bytes must be written: changed, or missing from the current copy."""
        current = self.current
        return {
            key
            for key, document in documents.items()
            if manifest.get(key) != document.etag
            or current is None
            or not (current / file_name(document)).is_file()
        }

    def publish(
        self,
        version: int,
        documents: dict[str, Document],
        needed: set[str],
        manifest: dict[str, str],
    ) -> tuple[int, int]:
        """Build ``version``'s directory and switch ``current`` to it (blocking); the number of
        files written and removed compared with the previous version."""
        versions = self.root / _VERSIONS
        versions.mkdir(parents=True, exist_ok=True)
        previous = self.current
        building = versions / f".building-{version}-{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        for key, document in documents.items():
            target = building / file_name(document)
            if key in needed or previous is None:
                if document.body is None:
                    raise ValueError(f"no bytes for {key}")
                _write(target, document.body)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(previous / file_name(document), target)
        _write(building / "manifest.json", _manifest(version, documents))
        final = versions / str(version)
        if final.exists() and final != previous:
            shutil.rmtree(final)
        elif final == previous:  # the same version again (``--full``): a fresh name
            final = versions / f"{version}-{os.getpid()}-{os.urandom(4).hex()}"
        os.rename(building, final)
        link = self.root / f".{CURRENT}.{os.getpid()}.tmp"
        link.unlink(missing_ok=True)
        link.symlink_to(final.relative_to(self.root))
        os.replace(link, self.root / CURRENT)
        self._remove_older(keep={final, previous})
        return len(needed), len(set(manifest) - set(documents))

    def _remove_older(self, keep: set[Path | None]) -> None:
        # One publisher per target at a time (the outbox's lease): anything else is older
        # versions, or a build a crashed process left behind.
        for entry in (self.root / _VERSIONS).iterdir():
            if entry not in keep:
                shutil.rmtree(entry, ignore_errors=True)


def _manifest(version: int, documents: dict[str, Document]) -> bytes:
    """``manifest.json``: how a client of the folder learns each path's API ETag."""
    paths = {
        "/" + key: {
            "etag": document.etag,
            "content_type": document.content_type,
            "cache_control": document.cache_control,
        }
        for key, document in sorted(documents.items())
    }
    return json.dumps({"version": version, "paths": paths}, indent=1).encode()
