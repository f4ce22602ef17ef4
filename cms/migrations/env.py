"""Alembic environment: async engines (aiosqlite, asyncpg), configured by ``cms.core.migrate``.

``config.attributes`` carries either an open synchronous ``connection`` (handed in by
``cms.core.migrate.upgrade_async`` from inside a running event loop) or the ``settings``, for
which this module makes its own short-lived engine (:func:`cms.core.db.create_migration_engine`:
a migration that needs a setting reads it from the engine, as every write does).
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import cms.content.models  # noqa: F401  (registers every table on SQLModel.metadata)
import cms.core.models  # noqa: F401
import cms.staticpub.models  # noqa: F401
from cms.core.config import Settings
from cms.core.db import create_migration_engine, normalize_database_url

config = context.config
target_metadata = SQLModel.metadata


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # SQLModel's AutoString is a plain VARCHAR; render it so revisions need no sqlmodel import.
    if type_ == "type" and isinstance(obj, AutoString):
        length = getattr(obj.impl, "length", None)
        return f"sa.String(length={length})" if length else "sa.String()"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=True,
        render_item=_render_item,
        **kwargs,
    )


def _settings() -> Settings:
    settings = config.attributes.get("settings")
    if settings is None:
        raise ValueError("No settings given to the migrations (cms.core.migrate.alembic_config)")
    return settings  # type: ignore[no-any-return]


def _run_offline() -> None:
    _configure(
        url=normalize_database_url(_settings().database_url),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with(settings: Settings) -> None:
    engine = create_migration_engine(settings)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_on)
            await connection.commit()
    finally:
        await engine.dispose()


def _run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
    else:
        asyncio.run(_run_with(_settings()))


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
