"""documents keyed by path and version, rendered by the write that makes them

The public read path answers from documents only: every write stores the whole set under the
new content version, so rows are keyed by (path, version) and carry the 404 of a document
that does not exist yet. Rows of the old shape (rendered on read) are dropped; `cms db upgrade`
renders the set of the current version right after migrating.

Revision ID: c13d0c5e0a01
Revises: b12f1e1d5e01
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c13d0c5e0a01"
down_revision: str | Sequence[str] | None = "b12f1e1d5e01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create(primary_key: Sequence[str], path_length: int, status: bool) -> None:
    columns: list[sa.Column[Any]] = [
        sa.Column("path", sa.String(length=path_length), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]
    if status:
        columns.append(sa.Column("status", sa.Integer(), nullable=False))
    op.create_table(
        "documents",
        *columns,
        sa.Column("etag", sa.String(length=100), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column(
            "rendered_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(*primary_key, name=op.f("pk_documents")),
    )


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_table("documents")
    _create(("path", "version"), 200, status=True)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("documents")
    _create(("path",), 500, status=False)
