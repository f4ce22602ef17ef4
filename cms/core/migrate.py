"""Alembic, configured in code: the migrations live in ``cms/migrations`` and ship in the package.

No ``alembic.ini`` is needed: :func:`alembic_config` points Alembic at the package's scripts and
hands the settings (or an open connection) to ``env.py`` through ``Config.attributes``, which,
unlike ini options, does not choke on ``%`` in percent-encoded passwords. A migration that needs
a setting (``SECRET_KEY``) reads it from the engine it runs on, made with these settings.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import Script
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from cms.core.config import Settings

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "downgrade",
    "revision",
    "show_progress",
    "upgrade",
    "upgrade_async",
]

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def alembic_config(
    settings: Settings | None = None, connection: Connection | None = None
) -> Config:
    """An Alembic config for the package's migrations with ``settings`` or on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Revision files start with a letter so they are valid module names for mypy and ruff.
    config.set_main_option("file_template", "rev_%%(rev)s_%%(slug)s")
    config.attributes["settings"] = settings
    config.attributes["connection"] = connection
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Migrate the database of ``settings`` up to ``revision`` (default: the newest)."""
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str) -> None:
    """Migrate the database of ``settings`` down to ``revision`` (``base`` empties it)."""
    command.downgrade(alembic_config(settings), revision)


async def upgrade_async(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate up on ``engine`` from inside a running event loop (tests, app code)."""
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.upgrade(alembic_config(connection=sync), revision)
        )


def revision(message: str, settings: Settings | None = None) -> list[Path]:
    """Autogenerate a revision from the models' metadata; returns the new file(s).

    Without ``settings`` it compares against a scratch SQLite database migrated to head, so
    the result depends only on the migrations and the models, never on a developer's data.
    """
    with tempfile.TemporaryDirectory(prefix="cms-revision-") as scratch:
        if settings is None:
            url = f"sqlite+aiosqlite:///{Path(scratch) / 'scratch.db'}"
            settings = Settings(_env_file=None, environment="dev", database_url=url)  # type: ignore[call-arg]
            upgrade(settings)
        config = alembic_config(settings)
        if importlib.util.find_spec("ruff") is not None:
            # Leave the new file lint-clean and formatted like the rest of the code.
            hooks = {"ruff_fix": "check --fix --quiet", "ruff_format": "format --quiet"}
            config.set_section_option("post_write_hooks", "hooks", ", ".join(hooks))
            for name, options in hooks.items():
                config.set_section_option("post_write_hooks", f"{name}.type", "module")
                config.set_section_option("post_write_hooks", f"{name}.module", "ruff")
                config.set_section_option(
                    "post_write_hooks", f"{name}.options", f"{options} REVISION_SCRIPT_FILENAME"
                )
        result: Any = command.revision(config, message=message, autogenerate=True)
    scripts: list[Script | None] = result if isinstance(result, list) else [result]
    return [Path(script.path) for script in scripts if script is not None]


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time (it is swapped under test runners)."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")


def show_progress() -> None:
    """Print Alembic's "Running upgrade …" lines on stderr (for the command line)."""
    logger = logging.getLogger("alembic.runtime.migration")
    if not any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("  %(message)s"))
        handler.addFilter(lambda record: record.getMessage().startswith("Running"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
