"""The databases every database test runs on: SQLite and a real PostgreSQL (shared helpers)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg

from cms.core.config import Settings

__all__ = [
    "BACKENDS",
    "POSTGRES_ADMIN_URL",
    "REQUIRE_POSTGRES",
    "make_settings",
    "refuse_connections",
    "scratch_postgres",
]

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


@contextlib.asynccontextmanager
async def scratch_postgres(prefix: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database named ``prefix_<random>``, dropped afterwards.

    Yields its ``postgresql://`` URL, as Neon prints one.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def refuse_connections(url: str) -> None:
    """What a maintenance window does to the database of ``url``: no new connections, the open
    ones terminated (``ALLOW_CONNECTIONS false``; dropping it still works afterwards)."""
    name = url.rpartition("/")[2]
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
    finally:
        await admin.close()
