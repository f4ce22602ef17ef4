"""Going back: the whole CV as of a version, one entry as of a version, a deleted entry.

Each is one ordinary write in the caller's transaction (content version, audit, revisions,
public responses: the session's rules do the rest), made of the difference between the rows
now and the rows then (:mod:`cms.content.history`): rows that did not exist are deleted, rows
that did are inserted with their ids, changed columns are updated. Rows keep their ids, so an
entry's history goes on after it comes back.

An uploaded image that is no longer stored (images no entry shows are deleted) comes back as
no image. :func:`document_at` renders the CV as of a version without writing anything: the same
difference, applied in a transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.schema import Table
from sqlmodel import SQLModel, col

from cms.content.history import (
    Rows,
    current_rows,
    earliest_version,
    entry_state_at,
    label_of,
    state_at,
)
from cms.content.jsonresume import render_resume
from cms.content.publish import PUBLISHED, Rendered, render
from cms.content.read import load_cv
from cms.content.record import Section
from cms.content.revisions import REVISED_TABLES, decode_row, row_key, written_by
from cms.content.transfer import changes, current_document, describe_changes, write_backup
from cms.content.write import WriteError, check, unique_problems
from cms.core.db import current_content_version
from cms.core.models import AuditLog, ContentVersion, Revision, utcnow

__all__ = [
    "VersionError",
    "apply_rows",
    "changes_at",
    "document_at",
    "resume_at",
    "restore_entry",
    "revert_cv",
    "revert_with_backup",
    "rows_at",
]

_ORDER = [table for table in SQLModel.metadata.sorted_tables if table.name in REVISED_TABLES]
"""Content tables, referred tables first: inserts in this order, deletes in reverse."""
_RESUME = next(published for published in PUBLISHED if published.path.endswith("/resume"))


class VersionError(LookupError):
    """A version the CV cannot be restored as of (in the future, or older than the history)."""


async def _check_version(session: AsyncSession, version: int) -> None:
    current = await current_content_version(session)
    earliest = await earliest_version(session)
    if version > current or version < 0:
        raise VersionError(f"Version {version} does not exist (the current version is {current}).")
    if earliest is None or version < earliest:
        oldest = "no history is kept yet" if earliest is None else f"the oldest is {earliest}"
        raise VersionError(f"Version {version} is older than the history kept ({oldest}).")


async def rows_at(session: AsyncSession, version: int, current: Rows | None = None) -> Rows:
    """Every content row as of ``version``; :class:`VersionError` if it cannot be known."""
    await _check_version(session, version)
    return await state_at(session, version, current)


def _where_keys(table: Table, keys: list[str]) -> Any:
    columns = list(table.primary_key.columns)
    typed = [
        tuple(c.type.python_type(v) for c, v in zip(columns, key.split(":"), strict=True))
        for key in keys
    ]
    if len(columns) == 1:
        return columns[0].in_([key[0] for key in typed])
    return tuple_(*columns).in_(typed)


async def _missing_references(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]]
) -> None:
    """Clear references to rows outside the content that no longer exist (deleted images)."""
    for column in table.columns:
        for foreign in column.foreign_keys:
            target = foreign.column
            if target.table.name in REVISED_TABLES:
                continue
            wanted = {row[column.name] for row in rows if row.get(column.name) is not None}
            if not wanted:
                continue
            found = set((await session.scalars(select(target).where(target.in_(wanted)))).all())
            for row in rows:
                if row.get(column.name) is not None and row[column.name] not in found:
                    row[column.name] = None


async def _fix_sequences(session: AsyncSession, tables: Iterable[Table]) -> None:
    """PostgreSQL: ids inserted as they were must not be handed out again (never lowered)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        columns = list(table.primary_key.columns)
        if len(columns) != 1 or not columns[0].autoincrement:
            continue
        sequence = await session.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": columns[0].name},
        )
        highest = await session.scalar(select(func.max(columns[0])))
        if sequence is None or highest is None:
            continue
        last = await session.scalar(text(f"SELECT last_value FROM {sequence}"))
        if highest > (last or 0):
            await session.execute(
                text("SELECT setval(:sequence, :value)"), {"sequence": sequence, "value": highest}
            )


async def apply_rows(
    session: AsyncSession, target: Rows, current: Rows, *, lasting: bool = True
) -> int:
    """Make the rows of ``current`` (by table and key) those of ``target``; rows changed.

    ``lasting``: the transaction will commit (PostgreSQL's id sequences are moved past the ids
    inserted; sequences ignore rollbacks, so a rolled-back preview leaves them alone).
    """
    changed = 0
    for table in reversed(_ORDER):
        gone = sorted(current.get(table.name, {}).keys() - target.get(table.name, {}).keys())
        for start in range(0, len(gone), 500):
            await session.execute(
                delete(table).where(_where_keys(table, gone[start : start + 500]))
            )
        changed += len(gone)
    plans: list[tuple[Table, list[dict[str, Any]], list[tuple[str, dict[str, Any]]]]] = []
    for table in _ORDER:
        now, then = current.get(table.name, {}), target.get(table.name, {})
        new = [decode_row(table, then[key]) for key in sorted(then.keys() - now.keys())]
        updates = []
        for key in sorted(then.keys() & now.keys()):
            different = {name: v for name, v in then[key].items() if now[key].get(name) != v}
            different.pop("updated_at", None)
            if different:
                updates.append((key, decode_row(table, different)))
        await _missing_references(session, table, [*new, *(values for _, values in updates)])
        await _free_unique_values(session, table, updates)
        plans.append((table, new, updates))
    inserted: list[Table] = []
    for table, new, updates in plans:
        if new:
            await session.execute(insert(table), new)
            inserted.append(table)
        for key, values in updates:
            await session.execute(update(table).where(_where_keys(table, [key])).values(values))
        changed += len(new) + len(updates)
    if lasting:
        await _fix_sequences(session, inserted)
    return changed


async def _free_unique_values(
    session: AsyncSession, table: Table, updates: list[tuple[str, dict[str, Any]]]
) -> None:
    """Give rows whose unique values change a placeholder first: a value can move from one row
    to another (two slugs swapped, an id reused) without a moment where both hold it."""
    unique = [c.name for c in table.columns if c.unique and not c.primary_key]
    for key, values in updates:
        moving = {name: f"revert-{key.replace(':', '-')}" for name in unique if name in values}
        if moving:
            await session.execute(update(table).where(_where_keys(table, [key])).values(moving))


def _audit(actor: str, action: str, table_name: str, label: str, **changes: Any) -> AuditLog:
    return AuditLog(
        username=actor,
        action=action,
        table_name=table_name,
        record_id=changes.pop("record_id", None),
        record_label=label[:300],
        changes=changes,
        created_at=utcnow(),
    )


async def revert_cv(session: AsyncSession, *, version: int, actor: str) -> int:
    """Restore the whole CV as of ``version`` in the caller's transaction; rows changed."""
    current = await current_rows(session)
    target = await rows_at(session, version, current)
    written_by(session, actor)
    changed = await apply_rows(session, target, current)
    if changed:
        label = f"Restored the CV as of version {version}"
        session.add(_audit(actor, "revert", "cv", label, version=version, rows=changed))
    await session.flush()
    return changed


async def restore_entry(
    session: AsyncSession, section: Section, *, entry_id: int, version: int, actor: str
) -> int:
    """Restore one entry (its fields and technologies) as of ``version``; rows changed.

    Raises :class:`VersionError` if the entry did not exist then, and
    :class:`~cms.content.write.WriteError` if it would break a rule now (a slug in use).
    """
    table_name = str(section.table.__tablename__)
    target = await entry_state_at(session, table_name, entry_id, version)
    row = target.get(table_name, {}).get(str(entry_id))
    if row is None:
        raise VersionError(f"This entry did not exist at version {version}.")
    values = decode_row(section.table.__table__, row)  # type: ignore[attr-defined]
    # The rules of today, but values kept as written (a URL without a scheme) come back as they
    # were: only what the write schema refuses outright stops a restore.
    lenient = section.schema.model_fields.keys()
    if problems := check(section.schema, values, lenient=lenient).problems:
        raise WriteError(problems, "Not restored")
    noun = section.admin.label.lower()
    if problems := await unique_problems(
        session, section.table, values, row_id=entry_id, noun=noun
    ):
        raise WriteError(problems, "Not restored")
    now = await current_content_version(session)
    current = await entry_state_at(session, table_name, entry_id, now)
    target["technologies"] = await _bring_back_technologies(session, target)
    written_by(session, actor)
    changed = await apply_rows(session, target, current)
    if changed:
        label = f"{label_of(section, row)}: restored as of version {version}"
        session.add(
            _audit(actor, "restore", table_name, label, version=version, record_id=str(entry_id))
        )
    await session.flush()
    return changed


async def _bring_back_technologies(session: AsyncSession, target: Rows) -> dict[str, Any]:
    """Technologies the target's link rows name that were deleted since: their rows as they
    were, or the links moved to a technology of the same name created since."""
    names_technology = [
        (table_name, column.name)
        for table_name in target
        for column in REVISED_TABLES[table_name].columns
        if any(f.column.table.name == "technologies" for f in column.foreign_keys)
    ]
    wanted = {row[c] for t, c in names_technology for row in target[t].values()}
    if not wanted:
        return {}
    technologies = REVISED_TABLES["technologies"]
    present = await session.scalars(select(technologies.c.id).where(technologies.c.id.in_(wanted)))
    back: dict[str, Any] = {}
    moved: dict[Any, Any] = {}
    lost: set[Any] = set()
    for tech_id in wanted - set(present.all()):
        last = await session.scalar(
            select(Revision)
            .where(
                col(Revision.table_name) == "technologies",
                col(Revision.row_key) == str(tech_id),
                col(Revision.action) == "delete",
            )
            .order_by(col(Revision.id).desc())
            .limit(1)
        )
        if last is None or not last.before:
            lost.add(tech_id)  # deleted before the history kept: the entry comes back without it
            continue
        same_name = await session.scalar(
            select(technologies.c.id).where(technologies.c.name == last.before["name"])
        )
        if same_name is None:
            back[str(tech_id)] = last.before
        else:
            moved[tech_id] = same_name
    for table_name, column in names_technology:
        table = REVISED_TABLES[table_name]
        rows = list(target[table_name].values())
        target[table_name] = {}
        for row in rows:
            if row[column] in lost:
                continue
            if row[column] in moved:
                row = row | {column: moved[row[column]]}
            target[table_name][row_key(table, row)] = row
    return back


async def _as_of(session: AsyncSession, version: int) -> None:
    """Make what ``session`` sees the CV as of ``version``, its time included (rolled back)."""
    current = await current_rows(session)
    target = await rows_at(session, version, current)
    await apply_rows(session, target, current, lasting=False)
    then = await session.scalar(
        select(func.max(Revision.created_at)).where(col(Revision.version) <= version)
    )
    if then is not None:
        await session.execute(
            update(ContentVersion).where(col(ContentVersion.id) == 1).values(updated_at=then)
        )


async def document_at(engine: AsyncEngine, version: int, *, drafts: bool) -> dict[str, Any]:
    """The CV as a JSON Resume document as of ``version`` (without ``meta.lastModified``,
    which only says when), nothing written."""
    async with engine.connect() as connection, connection.begin() as transaction:
        async with AsyncSession(bind=connection) as session:
            await _as_of(session, version)
            content = await load_cv(session, include_drafts=drafts)
            document = render_resume(content, include_drafts=drafts)
        await transaction.rollback()
    return document


async def resume_at(engine: AsyncEngine, version: int) -> Rendered:
    """``/api/v1/resume`` as published at ``version`` (drafts left out), nothing written."""
    async with engine.connect() as connection, connection.begin() as transaction:
        async with AsyncSession(bind=connection) as session:
            await _as_of(session, version)
            rendered = await render(session, _RESUME)
        await transaction.rollback()
    return rendered


async def changes_at(engine: AsyncEngine, version: int) -> list[str]:
    """What restoring the CV as of ``version`` changes, one line per section (drafts too)."""
    then = await document_at(engine, version, drafts=True)
    async with AsyncSession(engine) as session:
        now = render_resume(await load_cv(session, include_drafts=True), include_drafts=True)
    return describe_changes(changes(now, then))


async def revert_with_backup(
    session: AsyncSession, *, version: int, backup_dir: Path, keep: int, actor: str
) -> tuple[Path | None, int]:
    """Back the CV up, then restore it as of ``version``, in the caller's transaction.

    Returns the backup's path (``None``: the CV was empty) and the rows changed. Raises
    :class:`VersionError` or :class:`~cms.content.transfer.BackupError` before writing.
    """
    await _check_version(session, version)
    current = await current_document(session)
    backup = write_backup(current, backup_dir, keep=keep) if current else None
    return backup, await revert_cv(session, version=version, actor=actor)
