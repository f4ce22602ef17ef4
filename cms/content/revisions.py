"""Revisions: every content write keeps each row it changes, before and after (DESIGN §12).

The session's rules (:mod:`cms.content.session`) call three hooks, so every writer (the admin,
imports, sync, seeding, reverts) leaves revisions without doing anything:

* before a row changes (:func:`note_flush` for the unit of work, :func:`note_statement` for a
  bulk ``UPDATE``/``DELETE``/``INSERT``), its stored state is read once per transaction;
* at commit (:func:`record`) the rows noted are read again, and each one that differs becomes
  one :class:`~cms.core.models.Revision` of the new content version, with who wrote it.

Rows are kept whole and generically (every column of every content table, whatever columns a
later release adds), as JSON: a created or deleted row whole, an updated one as the columns that
changed. A link row (work ↔ technology) is a row like any other; the links of an entry are read
with it, since the unit of work writes them without telling the session.

Revisions older than ``HISTORY_KEEP_DAYS`` are pruned by the writes themselves, a bounded batch
of whole versions each time (:func:`prune`).
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Enum,
    LargeBinary,
    delete,
    insert,
    inspect,
    select,
    tuple_,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.schema import Column, Table
from sqlmodel import col

from cms.content.models import CONTENT_TABLES
from cms.content.tracking import TRACKED
from cms.core.db import engine_settings
from cms.core.models import ContentVersion, Revision, as_utc, utcnow

__all__ = [
    "REVISED_TABLES",
    "SCOPES",
    "decode_row",
    "encode_row",
    "forget",
    "note_flush",
    "note_new",
    "note_statement",
    "prune",
    "record",
    "row_key",
    "written_by",
]

REVISED_TABLES: dict[str, Table] = {table.name: table for table in CONTENT_TABLES}
"""Every content table, by name: each of their rows has revisions."""

SCOPES: dict[str, list[Column[Any]]] = {}
"""For a content table, the link tables' columns that name one of its rows (work → the
``work_id`` of ``work_technologies``): the rows a change to it may take along."""
for _table in CONTENT_TABLES:
    if len(_table.primary_key.columns) > 1:
        for _column in _table.primary_key.columns:
            for _key in _column.foreign_keys:
                if _key.column.table.name in REVISED_TABLES:
                    SCOPES.setdefault(_key.column.table.name, []).append(_column)

_PENDING = "cms.revisions"
_ACTOR = "cms.actor"
_CHUNK = 500
_PRUNE_VERSIONS = 50


# --- rows as JSON ---------------------------------------------------------------------------


def _encode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _decode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return dt.date.fromisoformat(value)
    if isinstance(kind, Enum) and kind.enum_class is not None:
        return kind.enum_class[value]
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value)
    return value


def encode_row(table: Table, row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row of ``table`` as JSON values (dates as ISO text, enums by name)."""
    return {column.name: _encode(column, row[column.name]) for column in table.columns}


def decode_row(table: Table, data: Mapping[str, Any]) -> dict[str, Any]:
    """The column values of an encoded row, for an ``INSERT`` or ``UPDATE`` (known columns)."""
    return {
        column.name: _decode(column, data[column.name])
        for column in table.columns
        if column.name in data
    }


def row_key(table: Table, row: Mapping[Any, Any]) -> str:
    """The primary key of a row as text: ``"12"``, or ``"3:7"`` for a link row."""
    return ":".join(str(row[column.name]) for column in table.primary_key.columns)


# --- what a transaction touched ------------------------------------------------------------


@dataclass
class _Pending:
    """The rows a transaction touched: their state before it, by table and key (``None``: the
    row did not exist), and the link rows taken along by owner (``scopes``)."""

    before: dict[str, dict[str, dict[str, Any] | None]] = field(default_factory=dict)
    scopes: dict[tuple[str, str], set[Any]] = field(default_factory=dict)

    def known(self, table: Table) -> dict[str, dict[str, Any] | None]:
        return self.before.setdefault(table.name, {})

    def covered(self, table: Table, row: Mapping[Any, Any]) -> bool:
        """Whether the row's owner was read with its links: a row not seen then is new."""
        return any(
            row[column.name] in self.scopes.get((table.name, column.name), ())
            for column in table.primary_key.columns
        )


def _pending(session: Session) -> _Pending:
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = _Pending()
    return pending  # type: ignore[no-any-return]


def written_by(session: Any, actor: str) -> None:
    """Name who writes in this transaction (``session``: sync or async) for its revisions."""
    session.info[_ACTOR] = actor


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _by_keys(table: Table, keys: Sequence[tuple[Any, ...]]) -> Iterable[Any]:
    columns = list(table.primary_key.columns)
    for chunk in _chunks(keys):
        if len(columns) == 1:
            yield select(table).where(columns[0].in_([key[0] for key in chunk]))
        else:
            yield select(table).where(tuple_(*columns).in_(chunk))


def _remember(
    pending: _Pending, connection: Connection, table: Table, statements: Iterable[Any]
) -> list[Any]:
    """Read rows of ``table``; the first state seen of each is its state before."""
    known = pending.known(table)
    seen = []
    for statement in statements:
        for row in connection.execute(statement).mappings():
            seen.append(row)
            key = row_key(table, row)
            if key not in known:
                known[key] = None if pending.covered(table, row) else encode_row(table, row)
    return seen


def _take_links_along(
    pending: _Pending, connection: Connection, table: Table, ids: Sequence[Any], *, read: bool
) -> None:
    """Note the link rows naming rows ``ids`` of ``table`` (read now, unless they are new)."""
    for column in SCOPES.get(table.name, ()):
        scope = pending.scopes.setdefault((column.table.name, column.name), set())
        fresh = [value for value in ids if value not in scope]
        if read and fresh:
            statements = [select(column.table).where(column.in_(c)) for c in _chunks(fresh)]
            _remember(pending, connection, column.table, statements)  # type: ignore[arg-type]
        scope.update(fresh)


def _content_rows(objects: Iterable[Any]) -> dict[Table, list[tuple[Any, ...]]]:
    found: dict[Table, list[tuple[Any, ...]]] = {}
    for obj in objects:
        table = getattr(obj, "__table__", None)
        if table is None or table.name not in REVISED_TABLES:
            continue
        columns = table.primary_key.columns
        found.setdefault(table, []).append(tuple(getattr(obj, c.key) for c in columns))
    return found


def note_flush(session: Session) -> None:
    """Before a flush: read the rows it will update or delete (and their links), once."""
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    touched = _content_rows([*changed, *session.deleted])
    for obj in (*session.new, *changed, *session.deleted):
        actor = inspect(obj).info.get(TRACKED, {}).get("actor")
        if actor:
            session.info.setdefault(_ACTOR, actor)
    if not touched:
        return
    pending = _pending(session)
    connection = session.connection()
    for table, keys in touched.items():
        known = pending.known(table)
        fresh = [key for key in keys if ":".join(map(str, key)) not in known]
        _remember(pending, connection, table, _by_keys(table, fresh))
        if len(table.primary_key.columns) == 1:
            _take_links_along(pending, connection, table, [key[0] for key in keys], read=True)


def note_new(session: Session) -> None:
    """After a flush: rows it inserted did not exist before (nor did links of new rows)."""
    created = _content_rows(session.new)
    if not created:
        return
    pending = _pending(session)
    for table, keys in created.items():
        known = pending.known(table)
        for key in keys:
            known.setdefault(":".join(map(str, key)), None)
        if len(table.primary_key.columns) == 1:
            connection = session.connection()
            _take_links_along(pending, connection, table, [key[0] for key in keys], read=False)


def note_statement(state: ORMExecuteState) -> None:
    """Before a bulk write to a content table: read the rows it may change."""
    statement = state.statement
    table = getattr(statement, "table", None)
    if not isinstance(table, Table) or table.name not in REVISED_TABLES:
        return
    pending = _pending(state.session)
    connection = state.session.connection()
    if state.is_insert:
        parameters = state.parameters
        rows: list[Any] = parameters if isinstance(parameters, list) else [parameters or {}]
        known = pending.known(table)
        names = [column.name for column in table.primary_key.columns]
        for row in rows:
            if all(name in row for name in names):
                known.setdefault(row_key(table, row), None)
        return
    if state.is_update or state.is_delete:
        where = statement.whereclause  # type: ignore[attr-defined]
        selection = select(table) if where is None else select(table).where(where)
        seen = _remember(pending, connection, table, [selection])
        if state.is_delete and len(table.primary_key.columns) == 1:
            (column,) = table.primary_key.columns
            ids = [row[column.name] for row in seen]
            _take_links_along(pending, connection, table, ids, read=True)


# --- at commit -----------------------------------------------------------------------------


def _after(connection: Connection, pending: _Pending, table: Table) -> dict[str, dict[str, Any]]:
    """The touched rows of ``table`` as the transaction leaves them."""
    keys = [tuple(key.split(":")) for key in pending.before.get(table.name, {})]
    columns = list(table.primary_key.columns)
    typed = [
        tuple(c.type.python_type(v) for c, v in zip(columns, key, strict=True)) for key in keys
    ]
    statements = list(_by_keys(table, typed))
    for (name, column_name), values in pending.scopes.items():
        if name == table.name and values:
            column = table.columns[column_name]
            statements += [
                select(table).where(column.in_(chunk)) for chunk in _chunks(list(values))
            ]
    found: dict[str, dict[str, Any]] = {}
    for statement in statements:
        for row in connection.execute(statement).mappings():
            found[row_key(table, row)] = encode_row(table, row)
    return found


def _revision(
    table: Table, key: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> dict[str, Any] | None:
    if before is None and after is None:
        return None
    if before is None:
        return {"table_name": table.name, "row_key": key, "action": "create", "after": after}
    if after is None:
        return {"table_name": table.name, "row_key": key, "action": "delete", "before": before}
    changed = [name for name, value in after.items() if before.get(name) != value]
    if not changed:
        return None
    return {
        "table_name": table.name,
        "row_key": key,
        "action": "update",
        "before": {name: before.get(name) for name in changed},
        "after": {name: after[name] for name in changed},
    }


def record(session: Session) -> int:
    """At commit: store a revision of every row the transaction changed; how many."""
    pending: _Pending | None = session.info.pop(_PENDING, None)
    actor = session.info.pop(_ACTOR, None) or "system"
    if pending is None:
        return 0
    connection = session.connection()
    # The version's own time: what ``meta.lastModified`` of its documents says.
    state = connection.execute(
        select(col(ContentVersion.version), col(ContentVersion.updated_at)).where(
            col(ContentVersion.id) == 1
        )
    ).first()
    version, now = (state[0], state[1]) if state is not None else (0, None)
    now = now or utcnow()
    rows: list[dict[str, Any]] = []
    for name in pending.before.keys() | {table for table, _ in pending.scopes}:
        table = REVISED_TABLES[name]
        before = pending.before.get(name, {})
        after = _after(connection, pending, table)
        for key in sorted(before.keys() | after.keys()):
            revision = _revision(table, key, before.get(key), after.get(key))
            if revision is not None:
                rows.append(
                    {"before": None, "after": None}
                    | revision
                    | {"version": version or 0, "username": actor[:100], "created_at": now}
                )
    for chunk in _chunks(rows):
        connection.execute(insert(Revision), list(chunk))
    if rows:
        prune(connection, engine_settings(connection).history_keep_days)
    return len(rows)


def forget(session: Session) -> None:
    """After a rollback: nothing the transaction touched was written."""
    session.info.pop(_PENDING, None)
    session.info.pop(_ACTOR, None)


def prune(connection: Connection, keep_days: int) -> int:
    """Delete revisions older than ``keep_days``: at most a few dozen whole versions a call,
    so a write after a long pause stays quick (the next writes take the rest)."""
    cutoff = utcnow() - dt.timedelta(days=keep_days)
    # The oldest revision by id (the primary key's index: no scan) says whether any is due.
    oldest = connection.execute(
        select(col(Revision.created_at)).order_by(col(Revision.id)).limit(1)
    ).scalar()
    if oldest is None or as_utc(oldest) >= cutoff:
        return 0
    versions = (
        select(col(Revision.version))
        .where(col(Revision.created_at) < cutoff)
        .distinct()
        .order_by(col(Revision.version))
        .limit(_PRUNE_VERSIONS)
    )
    found = list(connection.execute(versions).scalars())
    if not found:
        return 0
    result = connection.execute(
        delete(Revision).where(
            col(Revision.version) <= found[-1], col(Revision.created_at) < cutoff
        )
    )
    return int(result.rowcount or 0)
