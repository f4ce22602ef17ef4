"""Settings: the only place that reads the environment."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEV_SECRET_KEY", "Settings", "get_settings"]

DEV_SECRET_KEY = "dev-insecure-change-me"
"""Placeholder secret for local use; refused when ``ENVIRONMENT=prod``."""


class Settings(BaseSettings):
    """Runtime configuration, read from environment variables (and ``.env``)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["dev", "test", "prod"] = "dev"
    database_url: str = "sqlite+aiosqlite:///./cms.db"
    """Any SQLAlchemy URL; ``postgres://`` URLs as Neon prints them are accepted."""
    database_pooler: bool | None = None
    """Behind a transaction-mode pooler (PgBouncer, Neon ``-pooler``). ``None``: guess from host."""
    database_timeout: float = 5.0  # seconds to wait for a connection or a statement
    secret_key: str = DEV_SECRET_KEY
    service_name: str = "portfolio-cms"

    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    docs_enabled: bool = True

    cache_max_age: int = 300  # seconds, Cache-Control max-age
    cache_stale_while_revalidate: int = 60  # seconds
    cache_stale_if_error: int = 86400  # 1 day, in seconds
    cache_version_check_interval: float = 5.0
    """Seconds an instance trusts its cached content version before asking the database again."""

    jwt_lifetime_minutes: int = 60
    login_max_failures: int = 5
    login_window_minutes: int = 15
    login_device_days: int = 90
    """Lifetime of the device token a browser gets at login: it keeps its own login limit."""
    allowed_hosts: list[str] = Field(default_factory=lambda: ["*"])
    """Host names the app answers to (ports ignored; ``*``: any, but redirects stay relative)."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """Addresses or networks (CIDR) of proxies whose ``X-Forwarded-For`` is believed."""

    site_url: str | None = None
    """The public site built from the API, linked from the admin's dashboard."""

    resume_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1)  # 5 MiB
    """The largest JSON Resume document ``cms import`` and ``cms restore`` accept."""
    backup_dir: str = "backups"
    """Where ``cms import`` writes the backup of the CV it replaces."""

    metrics_namespace: str = "PortfolioCMS"
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

    @property
    def is_dev(self) -> bool:
        """Not production (``dev`` or ``test``): e.g. admin cookies without ``Secure``."""
        return self.environment != "prod"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
