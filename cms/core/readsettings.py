"""The settings of the public read path, read without pydantic-settings.

A cold Lambda that answers a public ``GET`` needs a dozen values, and pydantic-settings costs
about 70 ms to import. :class:`ReadSettings` declares each of them once (name, type, default);
:class:`cms.core.config.Settings` takes its defaults from here, so both read the same
environment variables with the same defaults. Values are parsed as pydantic-settings parses
them: lists as JSON arrays, booleans as ``true/false/1/0/yes/no/on/off``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ReadSettings"]

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def _boolean(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE | _FALSE:
        return value in _TRUE
    raise ValueError(f"{name.upper()} must be true or false, not {raw!r}")


def _strings(name: str, raw: str) -> tuple[str, ...]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f'{name.upper()} must be a JSON list of strings, e.g. ["a", "b"]')
    return tuple(value)


def _parse(name: str, kind: str, raw: str) -> Any:
    """``raw`` as the field's type (annotations are strings: ``from __future__``)."""
    try:
        if kind.startswith("str"):
            return None if kind.endswith("None") and raw.strip() == "" else raw
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind.startswith("bool"):
            return None if kind.endswith("None") and raw.strip() == "" else _boolean(name, raw)
    except ValueError as exc:
        raise ValueError(f"{name.upper()}: {exc}") from None
    return _strings(name, raw)


@dataclass(frozen=True, slots=True)
class ReadSettings:
    """What the public read path needs; the environment variable is the name in capitals."""

    environment: str = "dev"
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
    media_storage: str = "database"
    """Where uploaded images' bytes live: ``database`` (the ``media_variants`` table) or ``s3``."""
    media_s3_bucket: str | None = None
    media_s3_prefix: str = "media/"
    """Prepended to every object key: ``<prefix><id>/<variant>.webp``."""
    media_s3_endpoint_url: str | None = None
    """An S3-compatible endpoint instead of AWS's (MinIO, R2, a local test server)."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ReadSettings:
        """Read the settings from ``environ`` (default: the process environment)."""
        environ = os.environ if environ is None else environ
        values = {}
        for item in dataclasses.fields(cls):
            raw = environ.get(item.name.upper())
            if raw is not None:
                values[item.name] = _parse(item.name, str(item.type), raw)
        return cls(**values)

    @classmethod
    def from_settings(cls, settings: Any) -> ReadSettings:
        """The read path's part of a full :class:`cms.core.config.Settings`."""
        values = {item.name: getattr(settings, item.name) for item in dataclasses.fields(cls)}
        values["cors_origins"] = tuple(values["cors_origins"])
        values["allowed_hosts"] = tuple(values["allowed_hosts"])
        return cls(**values)

    @classmethod
    def default(cls, name: str) -> Any:
        """The default of setting ``name`` (for :class:`cms.core.config.Settings`)."""
        value = next(item for item in dataclasses.fields(cls) if item.name == name).default
        return list(value) if isinstance(value, tuple) else value
