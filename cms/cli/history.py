"""``cms history`` and ``cms revert``: the content versions, and the CV as of one of them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cms.cli import app, fail, load_settings, run
from cms.content import history as content_history
from cms.content import revert as content_revert
from cms.content.transfer import BackupError
from cms.core.db import current_content_version


@app.command()
def history(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many versions")] = 20,
) -> None:
    """List the content versions, newest first: version, time, who, what changed."""

    versions = run(lambda session: content_history.list_versions(session, limit=limit))
    if not versions:
        typer.echo("No content changes recorded yet.")
    for item in versions:
        when = item.at.strftime("%Y-%m-%d %H:%M:%S UTC")
        typer.echo(f"{item.version}\t{when}\t{item.who}\t{item.summary}")


@app.command()
def revert(
    version: Annotated[int, typer.Argument(help="The content version to go back to")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Restore without asking")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the changes only")] = False,
) -> None:
    """Restore the whole CV as of VERSION as one new version: shows what changes, backs up."""

    async def preview(session: Any) -> list[str]:
        return await content_revert.changes_at(session.bind, version)

    try:
        lines = run(preview, transaction=False)
    except content_revert.VersionError as exc:
        fail(str(exc))
    for line in lines:
        typer.echo(f"  {line}")
    if dry_run:
        typer.echo("Dry run: nothing was written.")
        return
    if not yes:
        if not sys.stdin.isatty():
            fail("Restoring the CV needs confirmation: run on a terminal, or pass --yes.")
        typer.confirm(f"Restore the CV as of version {version}?", abort=True)
    settings = load_settings()

    async def restore(session: Any) -> tuple[Path | None, int, int]:
        backup, changed = await content_revert.revert_with_backup(
            session,
            version=version,
            backup_dir=Path(settings.backup_dir),
            keep=settings.backup_retention,
            actor="cms revert",
        )
        await session.commit()
        return backup, changed, await current_content_version(session)

    try:
        backup, changed, now = run(restore, transaction=False)
    except content_revert.VersionError as exc:
        fail(str(exc))
    except BackupError as exc:
        fail(f"{exc} (BACKUP_DIR); nothing was written.")
    if backup is not None:
        typer.echo(f"Backed up the previous CV to {backup}.")
    if not changed:
        typer.echo(f"The CV already is as of version {version}: nothing was written.")
        return
    typer.echo(f"Restored the CV as of version {version}: {changed} row(s), now version {now}.")
