"""The ``cms`` command: database, content and owner accounts from the shell."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cms.config import get_settings

__all__ = ["app"]

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
db_app = typer.Typer(no_args_is_help=True, help="Database schema (Alembic migrations).")
app.add_typer(db_app, name="db")


def _fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _run_in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on the configured database."""
    from cms.db import create_engine, make_sessionmaker

    async def main() -> T:
        engine = create_engine(get_settings())
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except (OSError, TimeoutError) as exc:
        _fail(f"Cannot reach the database: {type(exc).__name__}: {exc}")
        raise  # unreachable: _fail exits


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from cms.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo(f"Database upgraded to {revision}.")


@app.command()
def seed(
    directory: Annotated[Path | None, typer.Argument(help="Folder with the seed files")] = None,
) -> None:
    """Load the sample CV from seed/ (idempotent: running it twice changes nothing)."""
    from cms.seeding import SEED_DIR, seed_database

    report = _run_in_transaction(lambda session: seed_database(session, directory or SEED_DIR))
    typer.echo(str(report))


@app.command("import")
def import_(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Replace the CV with a JSON Resume document (validated first; all or nothing)."""
    from cms.resume import ResumeValidationError, import_resume

    try:
        document: Any = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(f"{file}: not valid JSON: {exc}")
    try:
        summary = _run_in_transaction(lambda session: import_resume(session, document))
    except ResumeValidationError as exc:
        for problem in exc.problems:
            typer.secho(f"{problem.path}: {problem.message}", fg=typer.colors.RED, err=True)
        _fail(f"{file}: {len(exc.problems)} problem(s); nothing was written.")
    typer.echo(f"Imported {file}: {summary}")


@app.command()
def export(
    file: Annotated[Path | None, typer.Argument(help="Output file (default: stdout)")] = None,
) -> None:
    """Write the published CV as a JSON Resume document."""
    from cms.resume import export_resume

    document = _run_in_transaction(export_resume)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if file is None:
        sys.stdout.write(text)
    else:
        file.write_text(text, encoding="utf-8")
        typer.echo(f"Exported the CV to {file}.", err=True)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    reload: bool = False,
) -> None:
    """Serve the app with uvicorn."""
    import uvicorn

    uvicorn.run("cms.main:create_app", factory=True, host=host, port=port, reload=reload)
