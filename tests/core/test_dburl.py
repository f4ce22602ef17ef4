"""The read path's raw asyncpg driver connects where the engine connects, with the same options."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from cms.core.dburl import asyncpg_dsn, normalize_database_url

URLS = [
    "postgresql://postgres@127.0.0.1:5432/postgres",
    "postgres://owner:p%40ss@ep-cool-123.eu-central-1.aws.neon.tech/neondb?sslmode=require",
    "postgresql://u:pw@ep-x-123-pooler.aws.neon.tech/app?sslmode=require&channel_binding=require",
    "postgresql://u@db.example:6543/app?sslmode=verify-full&application_name=cms",
]


@pytest.mark.parametrize("url", URLS)
def test_the_raw_driver_gets_what_the_engines_dialect_gives_asyncpg(url: str) -> None:
    normalized = normalize_database_url(url)
    engine = create_async_engine(normalized)  # never connected: only its dialect is asked
    _, expected = engine.sync_engine.dialect.create_connect_args(engine.sync_engine.url)
    dsn, keywords = asyncpg_dsn(normalized)
    parts = urlsplit(dsn)
    given = {
        "host": parts.hostname,
        "port": parts.port,
        "user": parts.username and unquote(parts.username),
        "password": parts.password and unquote(parts.password),
        "database": parts.path.removeprefix("/"),
        **dict(item.split("=", 1) for item in parts.query.split("&") if item),
        **keywords,
    }

    assert parts.scheme == "postgresql"
    assert {key: value for key, value in given.items() if value is not None} == expected
