"""Scheduled publishing: entries whose ``publish_at`` or ``unpublish_at`` has come.

Every list entry may carry the time it becomes published (``publish_at``) and the time it
becomes a draft again (``unpublish_at``), in UTC. A due change is applied as any other write
(:func:`apply_due_entry`): the entry's row is locked (other instances skip it), checked with
the section's write schema, tracked and changed, and the write rules do the rest (content
version, audit entry, the public responses; the build hooks follow the new version). The
applied time is cleared, so a change is applied once; when both times have passed, they are
applied in time order and the later one decides. Each entry is its own transaction: an entry
the rules refuse is reported and retried, and never holds the others back.

Three callers apply what is due: ``cms publish-due``, a tick beside a long-running server
(:func:`publish_due_lifespan`, every ``PUBLISH_DUE_POLL_SECONDS``, sooner when a change is due
before that or this process commits content) and the Lambda's scheduled event
(:func:`scheduled_publish_due`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload
from sqlmodel import col

from cms.content.record import Section
from cms.content.sections import LIST_SECTIONS
from cms.content.tracking import track
from cms.content.write import WriteError, check
from cms.core.config import Settings
from cms.core.db import on_content_commit
from cms.core.models import as_utc, utcnow

__all__ = [
    "SCHEDULE_ACTOR",
    "PublishDueResult",
    "ScheduledChange",
    "apply_due_entry",
    "next_change_at",
    "publish_due",
    "publish_due_lifespan",
    "run_publish_due_ticker",
    "scheduled_changes",
    "scheduled_publish_due",
]

SCHEDULE_ACTOR = "schedule"
"""Who the audit log names for a scheduled change."""

logger = logging.getLogger(__name__)

_SHORTEST_WAIT = 0.05  # seconds: a change due right now is applied on the next turn


@dataclass(frozen=True, slots=True)
class ScheduledChange:
    """One scheduled change of an entry's published state."""

    section: Section
    row_id: int
    label: str
    at: datetime
    """When, in UTC."""
    publish: bool
    """``True``: the entry becomes published; ``False``: it becomes a draft."""

    @property
    def action(self) -> str:
        """``publish`` or ``unpublish``."""
        return "publish" if self.publish else "unpublish"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: section, id, label, action and time."""
        return {
            "section": self.section.name,
            "id": self.row_id,
            "label": self.label,
            "action": self.action,
            "at": self.at.isoformat(),
        }


@dataclass
class PublishDueResult:
    """What one run applied, what the rules refused (with why), and the next change to come."""

    applied: list[ScheduledChange] = field(default_factory=list)
    failed: list[tuple[ScheduledChange, str]] = field(default_factory=list)
    next_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the Lambda's answer and logs."""
        return {
            "applied": [change.as_dict() for change in self.applied],
            "failed": [{**change.as_dict(), "reason": why} for change, why in self.failed],
            "next_at": self.next_at.isoformat() if self.next_at else None,
        }


def _changes_of(section: Section, row: Any) -> list[ScheduledChange]:
    """The changes ``row`` has scheduled, in time order."""
    changes = [
        ScheduledChange(section, row.id, str(row), as_utc(when), publish)
        for when, publish in ((row.publish_at, True), (row.unpublish_at, False))
        if when is not None
    ]
    return sorted(changes, key=lambda change: change.at)


def _scheduled(table: Any, due_by: datetime | None) -> Any:
    if due_by is None:
        return or_(col(table.publish_at).is_not(None), col(table.unpublish_at).is_not(None))
    return or_(col(table.publish_at) <= due_by, col(table.unpublish_at) <= due_by)


async def scheduled_changes(
    session: AsyncSession, *, due_by: datetime | None = None
) -> list[ScheduledChange]:
    """Every scheduled change (or those due by ``due_by``), soonest first."""
    changes: list[ScheduledChange] = []
    for section in LIST_SECTIONS:
        table: Any = section.table
        rows = (await session.scalars(select(table).where(_scheduled(table, due_by)))).all()
        for row in rows:
            found = _changes_of(section, row)
            changes += [c for c in found if due_by is None or c.at <= due_by]
    return sorted(changes, key=lambda change: (change.at, change.section.name, change.row_id))


async def next_change_at(session: AsyncSession, *, after: datetime) -> datetime | None:
    """The time of the first change scheduled later than ``after``."""
    later = [change.at for change in await scheduled_changes(session) if change.at > after]
    return min(later, default=None)


async def apply_due_entry(
    session: AsyncSession, section: Section, row_id: int, *, now: datetime, actor: str
) -> list[ScheduledChange]:
    """Apply the changes of one entry due by ``now``, in the caller's transaction.

    Returns what was applied: nothing if another instance holds the row or has applied them.
    Raises :class:`WriteError` if the entry breaks its section's rules (nothing is written).
    """
    table: Any = section.table
    statement = (
        select(table)
        .where(col(table.id) == row_id, _scheduled(table, now))
        # PostgreSQL: an instance applying this entry right now holds it; SQLite: one writer.
        .with_for_update(skip_locked=True)
    )
    if section.tagged:
        statement = statement.options(selectinload(table.technologies))
    row = await session.scalar(statement)
    if row is None:
        return []
    due = [change for change in _changes_of(section, row) if change.at <= now]
    values = {name: getattr(row, name) for name in section.schema.model_fields}
    values["is_published"] = due[-1].publish
    for change in due:
        values["publish_at" if change.publish else "unpublish_at"] = None
    if problems := check(section.schema, values).problems:
        raise WriteError(problems, "Not applied")
    track(row, actor=actor)
    row.is_published = values["is_published"]
    row.publish_at, row.unpublish_at = values["publish_at"], values["unpublish_at"]
    await session.flush()
    return due


async def publish_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    now: datetime | None = None,
    actor: str = SCHEDULE_ACTOR,
) -> PublishDueResult:
    """Apply every change due by ``now`` (default: now), one transaction per entry."""
    now = now or utcnow()
    result = PublishDueResult()
    async with sessionmaker() as session:
        due = await scheduled_changes(session, due_by=now)
    entries = dict.fromkeys((change.section, change.row_id) for change in due)
    for section, row_id in entries:
        try:
            async with sessionmaker() as session, session.begin():
                result.applied += await apply_due_entry(
                    session, section, row_id, now=now, actor=actor
                )
        except WriteError as exc:
            mine = [c for c in due if (c.section, c.row_id) == (section, row_id)]
            result.failed.append((mine[-1], str(exc)))
            logger.warning("scheduled change of %s %s refused: %s", section.name, row_id, exc)
    async with sessionmaker() as session:
        result.next_at = await next_change_at(session, after=now)
    for change in result.applied:
        name = change.section.name
        logger.info("scheduled %s of %s %s applied", change.action, name, change.row_id)
    return result


async def run_publish_due_ticker(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, stop: asyncio.Event
) -> None:
    """Apply due changes every ``publish_due_poll_seconds`` until ``stop`` is set.

    The tick also comes at the time of the next change it knows of, and looks again after each
    content commit of this process (an owner's save may schedule one sooner). So a change is
    applied at its time, unless another process scheduled it less than one interval ahead: then
    within one interval.
    """
    interval = settings.publish_due_poll_seconds
    if interval <= 0:
        return
    loop = asyncio.get_running_loop()
    written = asyncio.Event()

    def heard() -> None:  # a commit may come from another thread: hand it to this loop
        loop.call_soon_threadsafe(written.set)

    unsubscribe = on_content_commit(sessionmaker.kw["bind"], heard)
    try:
        while not stop.is_set():
            wait = interval
            try:
                result = await publish_due(sessionmaker)
                if result.next_at is not None:
                    until = (result.next_at - utcnow()).total_seconds()
                    wait = max(_SHORTEST_WAIT, min(interval, until))
            except Exception:  # a database hiccup must not end the loop
                logger.exception("scheduled publishing failed")
            written.clear()  # this run's own commits
            await _first_of(stop, written, timeout=wait)
    finally:
        unsubscribe()


async def _first_of(*events: asyncio.Event, timeout: float) -> None:
    """Wait until one of ``events`` is set, at most ``timeout`` seconds."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


@asynccontextmanager
async def publish_due_lifespan(app: Any) -> AsyncIterator[None]:
    """Run :func:`run_publish_due_ticker` beside a uvicorn-served app (state of ``create_app``)."""
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_publish_due_ticker(app.state.sessionmaker, app.state.settings, stop)
    )
    try:
        yield
    finally:
        stop.set()
        await task


async def scheduled_publish_due(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> dict[str, Any]:
    """The Lambda's scheduled event: apply what is due, and what falls due within
    ``publish_due_lookahead_seconds`` (waiting for it), so that with a schedule every minute a
    change is applied at most ``60 - lookahead`` seconds after its time. JSON-ready result."""
    started = utcnow()
    horizon = started + timedelta(seconds=settings.publish_due_lookahead_seconds)
    total = await publish_due(sessionmaker, now=started)
    while total.next_at is not None and total.next_at <= horizon:
        await asyncio.sleep(max(0.0, (total.next_at - utcnow()).total_seconds()))
        later = await publish_due(sessionmaker)
        total.applied += later.applied
        total.failed, total.next_at = later.failed, later.next_at
    return total.as_dict()
