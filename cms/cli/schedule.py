"""``cms publish-due``: apply the scheduled publishing that is due (from cron, or by hand)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from cms.cli import app, load_settings, run
from cms.content.schedule import (
    PublishDueResult,
    ScheduledChange,
    publish_due,
    scheduled_changes,
)
from cms.content.session import make_sessionmaker
from cms.core.models import utcnow


def _when(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime(f"%Y-%m-%d %H:%M {zone.key}")


def _line(change: ScheduledChange, zone: ZoneInfo, verb: str = "") -> str:
    verb = verb or ("published" if change.publish else "unpublished")
    entry = f"{change.section.name} {change.row_id} {change.label!r}"
    return f"{verb} {entry} (due {_when(change.at, zone)})"


@app.command("publish-due")
def publish_due_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what is due without changing anything")
    ] = False,
) -> None:
    """Publish and unpublish the entries whose publish_at / unpublish_at has come."""
    zone = load_settings().owner_zone

    async def due(session: AsyncSession) -> list[ScheduledChange]:
        return await scheduled_changes(session, due_by=utcnow())

    if dry_run:
        changes = run(due)
        for change in changes:
            typer.echo(_line(change, zone, f"would {change.action}"))
        typer.echo(f"{len(changes)} scheduled change(s) due; nothing was changed (--dry-run).")
        return

    async def apply(session: AsyncSession) -> PublishDueResult:
        return await publish_due(make_sessionmaker(session.bind))  # type: ignore[arg-type]

    # Each entry is its own transaction (publish_due commits).
    result = run(apply, transaction=False)
    for change in result.applied:
        typer.echo(_line(change, zone))
    for change, reason in result.failed:
        refused = f"could not {change.action}"
        typer.secho(f"{_line(change, zone, refused)}: {reason}", fg=typer.colors.RED, err=True)
    if not result.applied and not result.failed:
        typer.echo("Nothing is due.")
    if result.next_at is not None:
        typer.echo(f"Next scheduled change: {_when(result.next_at, zone)}.")
    if result.failed:
        raise typer.Exit(1)
