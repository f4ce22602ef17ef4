"""The ``cms`` command: database, content and owner accounts from the shell."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cms.content.session import make_sessionmaker
from cms.core.config import Settings, get_settings
from cms.core.db import create_engine
from cms.staticpub import watch_commits

if TYPE_CHECKING:
    from cms.content.jsonresume import Problem

__all__ = ["app", "db_app", "fail", "fail_with_problems", "load_settings", "run"]

T = TypeVar("T")

# Tracebacks must never print local variables: they hold passwords and database URLs (older
# typer releases, which pyproject allows, showed them by default).
app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help=__doc__,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema (Alembic migrations).")
app.add_typer(db_app, name="db")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def fail_with_problems(problems: list[Problem], message: str) -> NoReturn:
    for problem in problems:
        typer.secho(str(problem), fg=typer.colors.RED, err=True)
    fail(message)


def load_settings() -> Settings:
    """The settings, or a clear message without the values given when they are invalid."""
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as exc:
        # Not str(exc): it repeats the input, SECRET_KEY included.
        errors = exc.errors(include_input=False, include_url=False)
        reasons = [
            f"{'.'.join(map(str, error['loc'])).upper()}: {error['msg']}"
            if error["loc"]
            else error["msg"]
            for error in errors
        ]
        fail(f"Invalid settings: {'; '.join(reasons)}")
    except ValueError as exc:  # pydantic-settings' SettingsError: a value it cannot parse
        fail(f"Invalid settings: {exc}")


def run(work: Callable[[AsyncSession], Awaitable[T]], *, transaction: bool = True) -> T:
    """Run ``work`` on the configured database, in one transaction unless it commits itself."""
    from sqlalchemy.exc import DBAPIError

    settings = load_settings()

    async def main() -> T:
        engine = create_engine(settings)
        watch_commits(engine, settings)  # static publishing after each committed write
        try:
            async with make_sessionmaker(engine)() as session:
                if not transaction:
                    return await work(session)
                async with session.begin():
                    return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except (OSError, TimeoutError) as exc:
        fail(f"Cannot reach the database: {type(exc).__name__}: {exc}")
    except DBAPIError as exc:
        # The driver's own message (wrong password, unknown database, unreadable file), without
        # the SQL statement and parameters SQLAlchemy appends.
        lines = str(exc.orig).splitlines() if exc.orig is not None else []
        fail(f"Database error: {lines[0] if lines else type(exc.orig or exc).__name__}")


# Each module adds its commands to ``app`` (imported last: they import the helpers above).
from cms.cli import accounts, content, cv, history, schedule, server, static, tokens  # noqa: E402, F401
