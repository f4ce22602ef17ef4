"""What a static copy holds: every public GET without a query string, as the API answers it.

From the stored responses of one content version (:mod:`cms.content.publish`), in every locale
(the default at the paths clients use, another under its tag: ``de/api/v1/resume``): each
``200`` at its path,
the same bytes under the ``/api/`` alias, every detail (``/api/v1/projects/<slug>``, ``…/<id>``)
cut from its list by the read path's own rules (:mod:`cms.content.queries`), and the variants of
the images the public sees (``/media/<id>/<variant>.webp``). Filters (query strings) stay with
the application.

:func:`object_key` is the one mapping from a public path (and a locale) to an object key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from cms.content import queries
from cms.content.queries import API_V1_PREFIX
from cms.core.config import Settings
from cms.core.etags import make_etag
from cms.core.models import StoredResponse
from cms.media.s3 import IMMUTABLE

__all__ = [
    "API_ALIAS_PREFIX",
    "Document",
    "cache_control",
    "documents_at",
    "object_key",
]

API_ALIAS_PREFIX = "/api"
"""Every ``/api/v1/…`` path also answers as ``/api/…`` (the current version), same bytes."""

_MEDIA_SQL = (
    "SELECT v.media_id, v.name, v.etag, v.content_type FROM media_variants v "
    "JOIN media m ON m.id = v.media_id WHERE m.published ORDER BY v.media_id, v.name"
)


@dataclass(slots=True)
class Document:
    """One object of a static copy: its key, ETag, headers and (once loaded) bytes."""

    key: str
    etag: str
    content_type: str
    cache_control: str
    body: bytes | None = None
    """``None`` for an image variant until it is needed (:func:`cms.staticpub.outbox`)."""
    media: tuple[str, str] | None = None
    """For an image variant: its (media id, variant name)."""


def object_key(path: str, locale: str | None = None) -> str:
    """The object key of the public ``path`` in ``locale`` (``None``: the default locale).

    ``/api/v1/resume`` → ``api/v1/resume``; ``/cv`` → ``cv``; another locale is a first
    segment: ``de/api/v1/resume`` (the folder target adds a file name, see
    :mod:`cms.staticpub.folder`).
    """
    key = path.lstrip("/")
    return f"{locale}/{key}" if locale else key


def cache_control(settings: Settings) -> str:
    """``Cache-Control`` of a stored response, as the read path sends it."""
    return (
        f"public, max-age={settings.cache_max_age}, "
        f"stale-while-revalidate={settings.cache_stale_while_revalidate}, "
        f"stale-if-error={settings.cache_stale_if_error}"
    )


def _details(path: str, body: bytes, rules_of: Any) -> Iterable[tuple[str, bytes]]:
    """Every detail path under the list at ``path`` and the bytes the read path answers."""
    rules = rules_of(path)
    if rules is None or rules.detail is None:
        return
    listed = queries.entries(body)
    seen: set[str] = set()
    for entry, _text in listed:
        for field in rules.detail.by:
            value = entry.get(field)
            if value is None or isinstance(value, bool):
                continue
            detail_path = f"{path}/{value}"
            if detail_path in seen or "/" in str(value):
                continue
            seen.add(detail_path)
            wanted = queries.ask(detail_path, "", rules_of)
            if isinstance(wanted, queries.Derived):
                found = queries.select(listed, wanted)
                if found is not None:
                    yield detail_path, found


def _with_alias(path: str) -> list[str]:
    if path.startswith(API_V1_PREFIX + "/"):
        return [path, API_ALIAS_PREFIX + path.removeprefix(API_V1_PREFIX)]
    return [path]


async def documents_at(
    session: AsyncSession, version: int, settings: Settings
) -> dict[str, Document]:
    """Every object of the static copy of content ``version``, by key."""
    rows = (
        await session.scalars(select(StoredResponse).where(col(StoredResponse.version) == version))
    ).all()
    default = settings.locales[0]
    by_locale: dict[str | None, list[StoredResponse]] = {}
    for row in rows:  # the default locale keeps the paths clients use; others get a prefix
        by_locale.setdefault(None if row.locale == default else row.locale, []).append(row)
    documents: dict[str, Document] = {}
    control = cache_control(settings)
    for locale, group in by_locale.items():
        rules = {row.path: queries.Rules.from_json(row.rules) for row in group}
        for row in group:
            if row.status != 200:
                continue
            found = [(row.path, row.body, row.etag, row.media_type)]
            found += [
                (path, body, make_etag(body), "application/json")
                for path, body in _details(row.path, row.body, rules.get)
            ]
            for path, body, etag, media_type in found:
                for public in _with_alias(path):
                    key = object_key(public, locale)
                    documents[key] = Document(key, etag, media_type, control, body)
    for media_id, name, etag, content_type in (await session.execute(text(_MEDIA_SQL))).all():
        key = object_key(f"/media/{media_id}/{name}.webp")
        documents[key] = Document(key, etag, content_type, IMMUTABLE, media=(media_id, name))
    return documents
