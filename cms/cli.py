"""The ``cms`` command: database, content and owner accounts from the shell."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cms.core.config import Settings, get_settings

if TYPE_CHECKING:
    from cms.content.jsonresume import Problem

__all__ = ["app", "uvicorn_options"]

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
totp_app = typer.Typer(no_args_is_help=True, help="Two-factor login (TOTP) of owner accounts.")
app.add_typer(totp_app, name="totp")


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _fail_with_problems(problems: list[Problem], message: str) -> NoReturn:
    for problem in problems:
        typer.secho(str(problem), fg=typer.colors.RED, err=True)
    _fail(message)


def _settings() -> Settings:
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
        _fail(f"Invalid settings: {'; '.join(reasons)}")
    except ValueError as exc:  # pydantic-settings' SettingsError: a value it cannot parse
        _fail(f"Invalid settings: {exc}")


def _run(work: Callable[[AsyncSession], Awaitable[T]], *, transaction: bool = True) -> T:
    """Run ``work`` on the configured database, in one transaction unless it commits itself."""
    from sqlalchemy.exc import DBAPIError

    from cms.content.write import make_sessionmaker
    from cms.core.db import create_engine

    settings = _settings()

    async def main() -> T:
        engine = create_engine(settings)
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
        _fail(f"Cannot reach the database: {type(exc).__name__}: {exc}")
    except DBAPIError as exc:
        # The driver's own message (wrong password, unknown database, unreadable file), without
        # the SQL statement and parameters SQLAlchemy appends.
        lines = str(exc.orig).splitlines() if exc.orig is not None else []
        _fail(f"Database error: {lines[0] if lines else type(exc.orig or exc).__name__}")


def _migrate(database_url: str, revision: str = "head", *, down: bool = False) -> None:
    """Run the migrations, turning the problems a user can cause into a clear message."""
    from alembic.util import CommandError
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from cms.core.db import normalize_database_url
    from cms.core.migrate import downgrade, show_progress, upgrade

    try:
        shown = make_url(normalize_database_url(database_url)).render_as_string(hide_password=True)
    except (ValueError, ArgumentError) as exc:
        _fail(f"DATABASE_URL is not a database URL: {exc}")
    typer.echo(f"Migrating {shown} {'down ' if down else ''}to {revision} ...")
    show_progress()
    try:
        (downgrade if down else upgrade)(database_url, revision)
    except DBAPIError as exc:
        _fail(f"Cannot migrate the database: {type(exc.orig).__name__}: {exc.orig}")
    except (OSError, TimeoutError) as exc:
        _fail(f"Cannot reach the database: {type(exc).__name__}: {exc}")
    except (CommandError, NoSuchModuleError) as exc:
        _fail(f"Cannot migrate the database: {exc}")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    _migrate(_settings().database_url, revision)
    typer.echo(f"Database upgraded to {revision}.")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target, e.g. -1 or base")]) -> None:
    """Revert migrations down to REVISION (``base`` drops every table: data is lost)."""
    _migrate(_settings().database_url, revision, down=True)
    typer.echo(f"Database downgraded to {revision}.")


@db_app.command("revision")
def db_revision(message: Annotated[str, typer.Option("--message", "-m")]) -> None:
    """Autogenerate a migration from the models (for maintainers; review it before committing)."""
    from cms.core.migrate import revision

    for path in revision(message):
        typer.echo(f"Wrote {path}: review it, then run the tests (tests/test_migrations.py).")


@app.command()
def seed(
    directory: Annotated[Path | None, typer.Argument(help="Folder with the seed files")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a CV that differs from the seed")
    ] = False,
) -> None:
    """Load the sample CV from seed/ (idempotent: running it twice changes nothing)."""
    from cms.content.jsonresume import ResumeValidationError
    from cms.content.seeding import SEED_DIR, SeedError, seed_database

    try:
        report = _run(lambda session: seed_database(session, directory or SEED_DIR, force=force))
    except SeedError as exc:
        _fail(str(exc))
    except ResumeValidationError as exc:
        _fail_with_problems(
            exc.problems, f"The seed has {len(exc.problems)} problem(s); nothing was written."
        )
    typer.echo(str(report))


@app.command("import")
def import_(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Replace the CV with a JSON Resume document (validated first; all or nothing)."""
    from cms.content.jsonresume import ResumeValidationError, import_resume

    try:
        document: Any = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(f"{file}: not valid JSON: {exc}")
    except OSError as exc:
        _fail(f"Cannot read {file}: {exc.strerror or exc}")
    try:
        summary = _run(lambda session: import_resume(session, document, actor="cms import"))
    except ResumeValidationError as exc:
        _fail_with_problems(
            exc.problems, f"{file}: {len(exc.problems)} problem(s); nothing was written."
        )
    typer.echo(f"Imported {file}: {summary}")


@app.command()
def export(
    file: Annotated[Path | None, typer.Argument(help="Output file (default: stdout)")] = None,
) -> None:
    """Write the published CV as a JSON Resume document (checked against the schema)."""
    from cms.content.jsonresume import export_resume, schema_problems

    document = _run(export_resume)
    problems = schema_problems(document)
    if problems:
        _fail_with_problems(
            problems,
            f"The CV does not match the JSON Resume v1.0.0 schema ({len(problems)} problem(s)).",
        )
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if file is None:
        sys.stdout.write(text)
    else:
        file.write_text(text, encoding="utf-8")
        typer.echo(f"Exported the CV to {file}.", err=True)


def _ensure_dev_admin() -> None:
    """Create the local admin account once and print its credentials that one time."""
    from cms.admin.accounts import ensure_dev_admin

    credentials = _run(ensure_dev_admin)
    if credentials is None:
        typer.echo("Admin account exists already (its password was shown when it was created).")
        return
    username, password = credentials
    typer.secho(
        f"Dev admin created: username {username!r}, password {password!r} "
        "(shown only this once; change it in the admin).",
        fg="green",
    )


@app.command()
def dev(
    host: str = "127.0.0.1",
    port: int = 8000,
    reload: bool = False,
    start: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the server once the database is ready")
    ] = True,
) -> None:
    """Run locally: migrate, load the sample CV, ensure a dev admin, print the URLs, serve."""
    settings = _settings()
    if settings.environment == "prod":
        _fail(
            "`cms dev` loads sample data and creates a dev admin, so it refuses to run with "
            "ENVIRONMENT=prod. In production use `cms db upgrade`, then `cms serve` or the Lambda."
        )
    _migrate(settings.database_url)

    from cms.content.seeding import SEED_DIR, SeedError, seed_database

    typer.echo(f"Loading the sample CV from {SEED_DIR} ...")
    try:
        # Without force: a CV the owner edited or imported is kept, never replaced.
        report = _run(lambda session: seed_database(session, SEED_DIR))
    except SeedError as exc:
        _fail(str(exc))
    typer.echo(f"  {report}")

    _ensure_dev_admin()

    base = f"http://{host}:{port}"
    typer.echo("")
    typer.echo(f"  API (whole CV)  {base}/api/v1/resume")
    if settings.docs_enabled:
        typer.echo(f"  API docs        {base}/docs")
    typer.echo(f"  Admin           {base}/admin")
    typer.echo(f"  Health          {base}/health")
    typer.echo("")
    if start:
        import uvicorn

        uvicorn.run(**uvicorn_options(host=host, port=port, reload=reload))


def uvicorn_options(*, host: str, port: int, reload: bool) -> dict[str, Any]:
    """How ``cms serve`` and ``cms dev`` run uvicorn.

    uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 by default, so anyone reaching the port
    locally could pick their address; the app applies ``TRUSTED_PROXIES`` itself instead.
    """
    return {
        "app": "cms.main:create_app",
        "factory": True,
        "host": host,
        "port": port,
        "reload": reload,
        "proxy_headers": False,
    }


@app.command()
def rebuild(
    now: Annotated[
        bool, typer.Option("--now", help="Call every build hook at once, changed or not")
    ] = False,
) -> None:
    """Call the site's build hooks if content changed and edits settled (run it from cron)."""
    from cms.rebuild import rebuild_if_changed, rebuild_now

    settings = _settings()
    run_rebuild = rebuild_now if now else rebuild_if_changed
    # The rebuild commits itself: it takes and releases a lease shared by every instance.
    result = _run(lambda session: run_rebuild(session, settings, trigger="cli"), transaction=False)
    typer.echo(f"{result.status}: {result.reason}")
    for hook in result.hooks:
        outcome = "ok" if hook.ok else hook.error
        typer.echo(f"  {hook.hook}: {outcome} ({hook.attempts} attempt(s), {hook.elapsed_ms} ms)")
    if result.status in {"failed", "partial"}:
        raise typer.Exit(1)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    reload: bool = False,
) -> None:
    """Serve the app with uvicorn."""
    import uvicorn

    uvicorn.run(**uvicorn_options(host=host, port=port, reload=reload))


# --- owner accounts ------------------------------------------------------------------


def _read_new_password(password_stdin: bool) -> str:
    """The new password: first line of stdin, or typed twice at a hidden prompt."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


_PASSWORD_STDIN = typer.Option(
    "--password-stdin", help="Read the password from the first line of standard input."
)


@app.command("create-admin")
def create_admin_command(
    username: Annotated[str, typer.Argument(help="Login name (case-insensitive)")],
    password_stdin: Annotated[bool, _PASSWORD_STDIN] = False,
) -> None:
    """Create an owner account for the back office (/admin)."""
    from cms.admin.accounts import AccountError, check_password, check_username, create_admin

    try:
        name = check_username(username)
        password = _read_new_password(password_stdin)
        check_password(password)
        _run(lambda session: create_admin(session, name, password))
    except AccountError as exc:
        _fail(str(exc))
    typer.echo(f"Created admin {name!r}.")


@app.command("set-password")
def set_password_command(
    username: Annotated[str, typer.Argument(help="The account to change")],
    password_stdin: Annotated[bool, _PASSWORD_STDIN] = False,
) -> None:
    """Set a new password for an owner account (its open sessions end)."""
    from cms.admin.accounts import AccountError, check_password, normalize_username, set_password

    try:
        password = _read_new_password(password_stdin)
        check_password(password)
        _run(lambda session: set_password(session, username, password))
    except AccountError as exc:
        _fail(str(exc))
    typer.echo(f"Password of {normalize_username(username)!r} changed.")


@app.command("list-admins")
def list_admins_command() -> None:
    """List the owner accounts."""
    from cms.admin.accounts import list_admins

    async def rows(session: AsyncSession) -> list[tuple[str, bool, str]]:
        return [
            (
                user.username,
                user.is_active,
                user.last_login_at.isoformat(timespec="seconds") if user.last_login_at else "never",
            )
            for user in await list_admins(session)
        ]

    accounts = _run(rows)
    if not accounts:
        typer.echo("No admin accounts yet: create one with `cms create-admin USERNAME`.")
        return
    width = max(len(name) for name, _, _ in accounts)
    typer.echo(f"{'USERNAME':<{width}}  ACTIVE  LAST LOGIN")
    for name, active, last_login in accounts:
        typer.echo(f"{name:<{width}}  {'yes' if active else 'no':<6}  {last_login}")


async def _account(session: AsyncSession, username: str) -> Any:
    from sqlalchemy import select
    from sqlmodel import col

    from cms.admin.accounts import AccountError, normalize_username
    from cms.core.models import AdminUser

    name = normalize_username(username)
    user = (await session.scalars(select(AdminUser).where(col(AdminUser.username) == name))).first()
    if user is None:
        raise AccountError(f"No admin named {name!r}.")
    return user


@totp_app.command("enable")
def totp_enable_command(
    username: Annotated[str, typer.Argument(help="The account to protect")],
) -> None:
    """Turn on two-factor login now; prints the otpauth:// URI and recovery codes once."""
    from cms.admin.accounts import AccountError
    from cms.admin.totp import enable_now

    async def enable(session: AsyncSession) -> tuple[str, list[str]]:
        return await enable_now(session, await _account(session, username))

    try:
        uri, codes = _run(enable)
    except AccountError as exc:
        _fail(str(exc))
    typer.echo("Two-factor login is on. Add this to an authenticator app (shown only now):")
    typer.echo(uri)
    typer.echo("Recovery codes (each works once instead of a code):")
    for code in codes:
        typer.echo(f"  {code}")


@totp_app.command("disable")
def totp_disable_command(
    username: Annotated[str, typer.Argument(help="The account to change")],
) -> None:
    """Turn off two-factor login (a lost phone): the password alone logs in again."""
    from cms.admin.accounts import AccountError
    from cms.admin.totp import disable

    async def off(session: AsyncSession) -> None:
        await disable(session, await _account(session, username))

    try:
        _run(off)
    except AccountError as exc:
        _fail(str(exc))
    typer.echo("Two-factor login is off.")
