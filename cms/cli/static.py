"""``cms publish``: the static copies of the public API (``cms.staticpub``)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from cms.cli import app, fail, load_settings
from cms.content.publish import ensure_published
from cms.core.db import create_engine
from cms.staticpub import Outcome, publish_pending, targets_of


@app.command("publish")
def publish(
    full: Annotated[
        bool, typer.Option("--full", help="Every object, not only what is pending.")
    ] = False,
) -> None:
    """Publish what the static copies miss (--full: everything, after a deploy or a restore)."""
    settings = load_settings()
    if not targets_of(settings):
        fail("Static publishing is off: set PUBLISH_DIR and/or PUBLISH_S3_BUCKET.")

    async def main() -> list[Outcome]:
        engine = create_engine(settings)
        try:
            # The stored set must be this release's before it is copied anywhere.
            await ensure_published(engine)
            return await publish_pending(engine, settings, full=full)
        finally:
            await engine.dispose()

    try:
        outcomes = asyncio.run(main())
    except (OSError, TimeoutError) as exc:
        fail(f"Cannot reach the database: {type(exc).__name__}: {exc}")
    for outcome in outcomes:
        if not outcome.ok:
            typer.secho(f"{outcome.target}: not published ({outcome.error})", fg="red", err=True)
        elif outcome.skipped:
            typer.echo(f"{outcome.target}: up to date (content version {outcome.version})")
        else:
            typer.echo(
                f"{outcome.target}: content version {outcome.version}, "
                f"{outcome.written} written, {outcome.deleted} deleted"
            )
    if not all(outcome.ok for outcome in outcomes):
        raise typer.Exit(1)
