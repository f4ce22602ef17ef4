"""The settings of the public read path, read without pydantic-settings.

A cold Lambda that answers a public ``GET`` needs a dozen values, and pydantic-settings costs
about 70 ms to import. :class:`ReadSettings` declares each of them once (name, type, default,
allowed values) and :func:`parse_setting` is the one reading of an environment value:
:class:`cms.core.config.Settings` takes its defaults from here and runs its values of these
settings through the same function, so both read the same variables (names case-insensitive)
with the same defaults and the same rules: lists as JSON arrays, booleans as
``true/false/1/0/yes/no/on/off`` (any case, spaces ignored), an empty optional value as unset.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cms.core.locales import DEFAULT_LOCALES, parse_locales

__all__ = ["ENVIRONMENTS", "MEDIA_STORAGES", "ReadSettings", "check_media_storage", "parse_setting"]

ENVIRONMENTS = ("dev", "test", "prod")
MEDIA_STORAGES = ("database", "s3")

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def _boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE | _FALSE:
        return value in _TRUE
    raise ValueError(f"must be true or false, not {raw!r}")


def _strings(raw: str) -> tuple[str, ...]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError('must be a JSON list of strings, e.g. ["a", "b"]')
    return tuple(value)


def _typed(kind: str, raw: str) -> Any:
    """``raw`` as a field of type ``kind`` (annotations are strings: ``from __future__``)."""
    if kind.endswith("| None") and raw.strip() == "":
        return None
    if kind.startswith("str"):
        return raw
    if kind in ("int", "float"):
        try:
            number = int(raw) if kind == "int" else float(raw)
        except ValueError:
            number = -1
        if not 0 <= number < math.inf:  # seconds, all of them: never negative, never nan
            raise ValueError(f"must be a number of at least 0, not {raw!r}")
        return number
    if kind.startswith("bool"):
        return _boolean(raw)
    return _strings(raw)


def parse_setting(name: str, raw: str) -> Any:
    """The value of the read path's setting ``name`` from its environment text ``raw``.

    A value the setting cannot take is a :class:`ValueError` naming the variable.
    """
    item = _FIELDS[name]
    parse = item.metadata.get("parse")
    try:
        value = parse(raw) if parse is not None else _typed(str(item.type), raw)
    except ValueError as exc:
        raise ValueError(f"{name.upper()} {exc}") from None
    choices = item.metadata.get("choices")
    if choices is not None and value not in choices:
        raise ValueError(f"{name.upper()} must be one of {', '.join(choices)}, not {raw!r}")
    return value


def check_media_storage(storage: str, bucket: str | None) -> None:
    """Refuse ``MEDIA_STORAGE=s3`` without a bucket."""
    if storage == "s3" and not bucket:
        raise ValueError("MEDIA_S3_BUCKET must be set when MEDIA_STORAGE=s3")


@dataclass(frozen=True, slots=True)
class ReadSettings:
    """What the public read path needs; the environment variable is the name in capitals."""

    environment: str = field(default="dev", metadata={"choices": ENVIRONMENTS})
    database_url: str = "sqlite+aiosqlite:///./cms.db"
    """Any SQLAlchemy URL; ``postgres://`` URLs as Neon prints them are accepted."""
    database_pooler: bool | None = None
    """Behind a transaction-mode pooler (PgBouncer, Neon ``-pooler``). ``None``: guess from host."""
    database_timeout: float = 5.0  # seconds to wait for a connection or a statement
    service_name: str = "portfolio-cms"
    metrics_namespace: str = "PortfolioCMS"
    tracing: bool = False
    """X-Ray traces through Powertools' Tracer (needs ``aws-xray-sdk`` in the deployment)."""
    cors_origins: tuple[str, ...] = field(default=("*",))
    allowed_hosts: tuple[str, ...] = field(default=("*",))
    """Host names the app answers to (ports ignored; ``*``: any, but redirects stay relative)."""
    cache_max_age: int = 300  # seconds, Cache-Control max-age
    cache_stale_while_revalidate: int = 60  # seconds
    cache_stale_if_error: int = 86400  # 1 day, in seconds
    cache_version_check_interval: float = 5.0
    """Seconds an instance trusts its cached content version before asking the database again."""
    locales: tuple[str, ...] = field(default=DEFAULT_LOCALES, metadata={"parse": parse_locales})
    """BCP 47 tags of the languages the CV is written in, the default first (``en,de`` or
    ``["en","de"]``); :mod:`cms.core.locales`."""
    media_storage: str = field(default="database", metadata={"choices": MEDIA_STORAGES})
    """Where uploaded images' bytes live: ``database`` (the ``media_variants`` table) or ``s3``."""
    media_s3_bucket: str | None = None
    media_s3_prefix: str = "media/"
    """Prepended to every object key: ``<prefix><id>/<variant>.webp``."""
    media_s3_endpoint_url: str | None = None
    """An S3-compatible endpoint instead of AWS's (MinIO, R2, a local test server)."""

    def __post_init__(self) -> None:
        check_media_storage(self.media_storage, self.media_s3_bucket)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ReadSettings:
        """Read the settings from ``environ`` (default: the process environment)."""
        environ = os.environ if environ is None else environ
        # Names are case-insensitive, as pydantic-settings reads them.
        found = {name.lower(): raw for name, raw in environ.items()}
        values = {name: parse_setting(name, found[name]) for name in _FIELDS if name in found}
        return cls(**values)

    @classmethod
    def from_settings(cls, settings: Any) -> ReadSettings:
        """The read path's part of a full :class:`cms.core.config.Settings`."""
        values = {item.name: getattr(settings, item.name) for item in dataclasses.fields(cls)}
        values["cors_origins"] = tuple(values["cors_origins"])
        values["allowed_hosts"] = tuple(values["allowed_hosts"])
        values["locales"] = tuple(values["locales"])
        return cls(**values)

    @classmethod
    def default(cls, name: str) -> Any:
        """The default of setting ``name`` (for :class:`cms.core.config.Settings`)."""
        value = _FIELDS[name].default
        return list(value) if isinstance(value, tuple) else value


_FIELDS: dict[str, dataclasses.Field[Any]] = {
    item.name: item for item in dataclasses.fields(ReadSettings)
}
