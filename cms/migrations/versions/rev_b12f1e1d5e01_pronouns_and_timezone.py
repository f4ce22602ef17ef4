"""basics: pronouns and location.timezone become fields the owner can edit

Imports kept them among the unknown properties (``extra``, ``location_extra``); now they have
columns, a form field and a place in the public personal info. Values already imported move
from the unknown properties into the new columns.

Revision ID: b12f1e1d5e01
Revises: a10c0de5ec01
Create Date: 2026-12-03 08:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "b12f1e1d5e01"
down_revision: str | Sequence[str] | None = "a10c0de5ec01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_BASICS = sa.table(
    "basics",
    sa.column("id", sa.Integer()),
    sa.column("extra", sa.JSON()),
    sa.column("location_extra", sa.JSON()),
    sa.column("pronouns", sa.String()),
    sa.column("timezone", sa.String()),
)
# (column, its length, the JSON column that held it, the key there)
_MOVED = (("pronouns", 50, "extra", "pronouns"), ("timezone", 64, "location_extra", "timezone"))


def _move(*, into_columns: bool) -> None:
    """Move the values between the JSON columns and the new ones (up or down)."""
    connection = op.get_bind()
    for row in connection.execute(sa.select(_BASICS)).mappings().all():
        holders: dict[str, dict[str, Any]] = {h: dict(row[h] or {}) for _, _, h, _ in _MOVED}
        values: dict[str, Any] = {}
        for column, length, holder, key in _MOVED:
            held = holders[holder]
            value = held.get(key)
            if into_columns and isinstance(value, str) and len(value) <= length:
                values[column] = held.pop(key)
            elif not into_columns and row[column] is not None:
                held[key] = row[column]
            else:
                continue
            values[holder] = held
        if values:
            connection.execute(_BASICS.update().where(_BASICS.c.id == row["id"]).values(values))


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("basics") as batch:
        batch.add_column(sa.Column("pronouns", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
    _move(into_columns=True)


def downgrade() -> None:
    """Downgrade schema."""
    _move(into_columns=False)
    with op.batch_alter_table("basics") as batch:
        batch.drop_column("timezone")
        batch.drop_column("pronouns")
