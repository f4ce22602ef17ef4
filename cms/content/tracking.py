"""What a write records about the rows it changes: who wrote them, and what they were before.

A writer calls :func:`track` before it changes a row; the session's flush rules
(:mod:`cms.content.session`) then store the technologies' order the writer chose and write one
audit entry per changed row (:func:`audit_values`). Secrets are never audited, not even hashed.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect

from cms.core.models import utcnow

__all__ = ["TRACKED", "audit_values", "technology_names", "track"]

TRACKED = "cms.tracked"
"""The ``InstanceState.info`` key of a tracked row."""
_NOT_AUDITED = frozenset({"id", "created_at", "updated_at"})
_REDACTED_COLUMNS = frozenset({"password_hash"})
_REDACTED = "(changed, not shown)"


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value


def _snapshot(row: Any, technologies: Sequence[str] | None = None) -> dict[str, Any]:
    """The audited state of ``row``: its columns and technology names."""
    state: dict[str, Any] = {}
    for column in inspect(type(row)).columns:
        if column.key not in _NOT_AUDITED:
            value = getattr(row, column.key, None)
            state[column.key] = _jsonable(value)
    if technologies is not None:
        state["technologies"] = list(technologies)
    return state


def track(row: Any, *, actor: str, technology_ids: Sequence[int] | None = None) -> None:
    """Mark ``row`` as written by ``actor``, before its attributes change.

    At flush the rules store the technologies' order (for tagged rows) and audit the change.
    """
    state = inspect(row)
    before = _snapshot(row, technology_names(row)) if state.persistent else None
    state.info[TRACKED] = {"actor": actor, "before": before, "order": technology_ids}


def technology_names(row: Any, order: Sequence[int] | None = None) -> list[str] | None:
    """A tagged row's technology names (in ``order`` of ids if given), if they are loaded."""
    state = inspect(row)
    if "technologies" not in state.mapper.relationships or "technologies" in state.unloaded:
        return None
    by_id = {tech.id: tech.name for tech in row.technologies}
    return [by_id[tech_id] for tech_id in order or by_id if tech_id in by_id]


def audit_values(row: Any, tracked: dict[str, Any], deleted: bool) -> dict[str, Any] | None:
    """The audit entry of a tracked row after its flush, or ``None`` if nothing changed."""
    before = tracked["before"] or {}
    created = tracked["before"] is None
    changes: dict[str, Any]
    if deleted:
        action, changes = "delete", {key: [value, None] for key, value in before.items()}
    else:
        action = "create" if created else "update"
        after = _snapshot(row, technology_names(row, tracked["order"]))
        changes = {
            key: [before.get(key), value]
            for key, value in after.items()
            if before.get(key) != value and not (created and value in (None, [], "", {}))
        }
        if not changes and not created:
            return None
    for key in _REDACTED_COLUMNS & changes.keys():
        changes[key] = _REDACTED  # the audit log never holds secrets, not even hashed
    return {
        "username": tracked["actor"],
        "action": action,
        "table_name": row.__tablename__,
        "record_id": str(row.id),
        "record_label": str(row)[:300],
        "changes": changes,
        "created_at": utcnow(),
    }
