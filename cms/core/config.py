"""Settings: with :mod:`cms.core.readsettings`, the only place that reads the environment."""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from cms.core.locales import parse_locales
from cms.core.readsettings import ReadSettings, check_media_storage, parse_setting

__all__ = ["DEV_SECRET_KEY", "Settings", "get_settings"]

_read = ReadSettings.default

DEV_SECRET_KEY = "dev-insecure-change-me"
"""Placeholder secret for local use; refused when ``ENVIRONMENT=prod``."""


class Settings(BaseSettings):
    """Runtime configuration, read from environment variables (and ``.env``)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # The read path's settings: documented, with their defaults and allowed values, in
    # ReadSettings; their values are read by its parse_setting (see _read_like_the_read_path).
    environment: Literal["dev", "test", "prod"] = _read("environment")
    database_url: str = _read("database_url")
    database_pooler: bool | None = _read("database_pooler")
    database_timeout: float = _read("database_timeout")
    service_name: str = _read("service_name")
    metrics_namespace: str = _read("metrics_namespace")
    tracing: bool = _read("tracing")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: _read("cors_origins")
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: _read("allowed_hosts")
    )
    cache_max_age: int = _read("cache_max_age")
    cache_stale_while_revalidate: int = _read("cache_stale_while_revalidate")
    cache_stale_if_error: int = _read("cache_stale_if_error")
    cache_version_check_interval: float = _read("cache_version_check_interval")
    locales: Annotated[list[str], NoDecode] = Field(default_factory=lambda: _read("locales"))
    media_storage: Literal["database", "s3"] = _read("media_storage")
    media_s3_bucket: str | None = _read("media_s3_bucket")
    media_s3_prefix: str = _read("media_s3_prefix")
    media_s3_endpoint_url: str | None = _read("media_s3_endpoint_url")

    secret_key: str = DEV_SECRET_KEY
    docs_enabled: bool = True

    jwt_lifetime_minutes: int = 60
    login_max_failures: int = 5
    login_window_minutes: int = 15
    login_device_days: int = 90
    """Lifetime of the device token a browser gets at login: it keeps its own login limit."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """Addresses or networks (CIDR) of proxies whose ``X-Forwarded-For``/``-Proto`` is believed."""

    site_url: str | None = None
    """The public site built from the API, linked from the admin's dashboard."""

    resume_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1)  # 5 MiB
    """The largest JSON Resume document ``cms import`` and ``cms restore`` accept."""
    backup_dir: str = "backups"
    """Where ``cms import``, ``cms restore`` and ``PUT /api/v1/resume`` back up the CV they
    replace (files readable by their owner only)."""
    backup_retention: int = Field(default=20, ge=1)
    """How many backup files ``BACKUP_DIR`` keeps: older ones are deleted after each backup."""
    history_keep_days: int = Field(default=365, ge=1)
    """Days the revisions of content writes are kept (``cms history``, reverts, the Trash)."""
    trash_days: int = Field(default=30, ge=1)
    """Days a deleted entry stays in the back office's Trash, restorable."""

    public_base_url: str | None = None
    """Where this app is reached from outside, e.g. ``https://cms.example.com``: image URLs in the
    public documents are absolute under it (unset: relative to the site root, ``/media/…``)."""
    media_public_base_url: str | None = None
    """With ``MEDIA_STORAGE=s3``: the CDN (or public bucket) URL serving the bucket's objects;
    the documents then point at it instead of this app's ``/media/…``."""
    media_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)  # 10 MiB
    """The largest image file the back office accepts."""
    media_max_pixels: int = Field(default=50_000_000, ge=1)
    """The most pixels an uploaded image may declare (decompression bombs are refused)."""
    media_max_webp_pixels: int = Field(default=12_000_000, ge=1)
    """The most pixels of a WebP upload: Pillow decodes WebP through about 18 bytes a pixel
    (a PNG takes 4, a JPEG is decoded reduced), and the function has 512 MB."""
    body_max_bytes: int = Field(default=1024 * 1024, ge=1024)  # 1 MiB
    """The largest request body without a file: a back-office form, any request but
    ``PUT /api/v1/resume``; also what a form with a file may send besides the file."""

    build_hook_urls: list[str] = Field(default_factory=list)
    """Deploy/build hooks POSTed after content changes (Netlify, Vercel, Cloudflare Pages, GitHub
    ``repository_dispatch``). They carry secrets: never logged or shown in full."""
    build_hook_github_token: SecretStr | None = None
    """Bearer token sent to GitHub ``repository_dispatch`` hooks (``…/repos/o/r/dispatches``)."""
    build_hook_debounce_seconds: float = 60.0
    """Quiet time after the last edit before a burst of edits triggers one rebuild."""
    build_hook_timeout: float = 10.0  # seconds per POST
    build_hook_retries: int = Field(default=2, ge=0)  # extra tries after a failed POST
    build_hook_retry_backoff: float = 1.0  # seconds before the first retry, doubling
    build_hook_failure_backoff_seconds: float = 300.0
    """After a failed rebuild, wait this long before the scheduled check tries again."""
    build_hook_poll_seconds: float = 30.0
    """How often a long-running server (uvicorn) checks for content to rebuild; 0: never.
    On Lambda nothing runs between requests: a schedule calls the check instead."""

    publish_dir: str | None = None
    """Static publishing: a folder every committed write copies the public documents to
    (``cms.staticpub``; serve its ``current`` link with nginx, Caddy, any static host)."""
    publish_s3_bucket: str | None = None
    """Static publishing: an S3 bucket every committed write copies the public documents to."""
    publish_s3_prefix: str = ""
    """A prefix of every key in ``PUBLISH_S3_BUCKET`` (empty: the bucket's root)."""
    publish_s3_endpoint_url: str | None = None
    """Another S3-compatible service for ``PUBLISH_S3_BUCKET`` (MinIO, R2, a test server)."""
    publish_cloudfront_distribution_id: str | None = None
    """The CloudFront distribution in front of ``PUBLISH_S3_BUCKET``: changed paths are
    invalidated after each publish."""
    publish_retry_seconds: float = Field(default=30.0, ge=0)
    """How often a long-running server (uvicorn) retries a static copy that is behind; 0:
    never. On Lambda the schedule retries."""
    owner_timezone: str = "UTC"
    """The owner's IANA time zone (``Europe/Lisbon``): the back office shows and reads the times
    of scheduled publishing in it; the database keeps UTC."""
    publish_due_poll_seconds: float = Field(default=30.0, ge=0)
    """How often a long-running server applies due scheduled changes (0: never; on Lambda the
    scheduled event does)."""
    publish_due_lookahead_seconds: float = Field(default=10.0, ge=0)
    """The Lambda's scheduled event also waits for changes due this many seconds after it, so
    that a change is public within a minute of its time (keep it below the function timeout)."""

    @field_validator("owner_timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone (e.g. Europe/Lisbon, America/New_York, UTC)"
            ) from None
        return value

    @property
    def owner_zone(self) -> ZoneInfo:
        """The owner's time zone (:attr:`owner_timezone`)."""
        return ZoneInfo(self.owner_timezone)

    @field_validator(*(item.name for item in dataclasses.fields(ReadSettings)), mode="before")
    @classmethod
    def _read_like_the_read_path(cls, value: Any, info: ValidationInfo) -> Any:
        # Text from the environment (or given as text) is read by the read path's one rule.
        if isinstance(value, str) and info.field_name is not None:
            return parse_setting(info.field_name, value)
        if info.field_name == "locales" and isinstance(value, list | tuple):
            return list(parse_locales(value))
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secret_in_prod(self) -> Settings:
        if self.environment == "prod" and (
            self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32
        ):
            raise ValueError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "when ENVIRONMENT=prod (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`)"
            )
        return self

    @model_validator(mode="after")
    def _require_a_bucket_for_s3(self) -> Settings:
        check_media_storage(self.media_storage, self.media_s3_bucket)
        return self

    @property
    def upload_max_bytes(self) -> int:
        """The largest back-office form with a file: the largest file it takes, plus the form."""
        return max(self.media_max_bytes, self.resume_max_bytes) + self.body_max_bytes

    @property
    def is_dev(self) -> bool:
        """Not production (``dev`` or ``test``): e.g. admin cookies without ``Secure``."""
        return self.environment != "prod"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
