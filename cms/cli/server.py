"""``cms db``, ``dev``, ``serve`` and ``rebuild``: the database and running the app."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cms.admin.accounts import ensure_dev_admin
from cms.cli import app, db_app, fail, load_settings, run
from cms.content.publish import publish_release
from cms.content.seeding import SEED_DIR, SeedError, seed_database
from cms.core import migrate
from cms.core.config import Settings
from cms.core.db import normalize_database_url
from cms.rebuild import rebuild_if_changed, rebuild_now


def _migrate(settings: Settings, revision: str = "head", *, down: bool = False) -> None:
    """Run the migrations, turning the problems a user can cause into a clear message."""
    from alembic.util import CommandError
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    try:
        url = normalize_database_url(settings.database_url)
        shown = make_url(url).render_as_string(hide_password=True)
    except (ValueError, ArgumentError) as exc:
        fail(f"DATABASE_URL is not a database URL: {exc}")
    typer.echo(f"Migrating {shown} {'down ' if down else ''}to {revision} ...")
    migrate.show_progress()
    try:
        (migrate.downgrade if down else migrate.upgrade)(settings, revision)
    except DBAPIError as exc:
        fail(f"Cannot migrate the database: {type(exc.orig).__name__}: {exc.orig}")
    except (OSError, TimeoutError) as exc:
        fail(f"Cannot reach the database: {type(exc).__name__}: {exc}")
    except (CommandError, NoSuchModuleError) as exc:
        fail(f"Cannot migrate the database: {exc}")
    if not down and revision == "head":
        # The read path serves stored responses only: a fresh database, or one whose set an
        # older release rendered, gets the set of the running code here.
        if run(publish_release):
            typer.echo("Published the public responses of this release.")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    _migrate(load_settings(), revision)
    typer.echo(f"Database upgraded to {revision}.")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target, e.g. -1 or base")]) -> None:
    """Revert migrations down to REVISION (``base`` drops every table: data is lost)."""
    _migrate(load_settings(), revision, down=True)
    typer.echo(f"Database downgraded to {revision}.")


@db_app.command("revision")
def db_revision(message: Annotated[str, typer.Option("--message", "-m")]) -> None:
    """Autogenerate a migration from the models (for maintainers; review it before committing)."""

    for path in migrate.revision(message):
        typer.echo(f"Wrote {path}: review it, then run the tests (tests/test_migrations.py).")


def _ensure_dev_admin() -> None:
    """Create the local admin account once and print its credentials that one time."""

    credentials = run(ensure_dev_admin)
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
    settings = load_settings()
    if settings.environment == "prod":
        fail(
            "`cms dev` loads sample data and creates a dev admin, so it refuses to run with "
            "ENVIRONMENT=prod. In production use `cms db upgrade`, then `cms serve` or the Lambda."
        )
    _migrate(settings)

    typer.echo(f"Loading the sample CV from {SEED_DIR} ...")
    try:
        # Without force: a CV the owner edited or imported is kept, never replaced.
        report = run(lambda session: seed_database(session, SEED_DIR))
    except SeedError as exc:
        fail(str(exc))
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


@app.command()
def rebuild(
    now: Annotated[
        bool, typer.Option("--now", help="Call every build hook at once, changed or not")
    ] = False,
) -> None:
    """Call the site's build hooks if content changed and edits settled (run it from cron)."""

    settings = load_settings()
    run_rebuild = rebuild_now if now else rebuild_if_changed
    # The rebuild commits itself: it takes and releases a lease shared by every instance.
    result = run(lambda session: run_rebuild(session, settings, trigger="cli"), transaction=False)
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
