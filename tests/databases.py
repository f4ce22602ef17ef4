"""The databases every database test runs on: SQLite and a real PostgreSQL (shared helpers)."""

from __future__ import annotations

import os

from cms.core.config import Settings

__all__ = ["BACKENDS", "POSTGRES_ADMIN_URL", "REQUIRE_POSTGRES", "make_settings"]

POSTGRES_ADMIN_URL = os.environ.get(
    "CMS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("CMS_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Test settings on ``database_url``.

    The in-process client's host is named in ``ALLOWED_HOSTS`` (redirects may carry it); any
    other host is served with relative redirects, as production does without the setting.
    """
    overrides.setdefault("allowed_hosts", ["testserver", "*"])
    return Settings(environment="test", database_url=database_url, **overrides)  # type: ignore[arg-type]
