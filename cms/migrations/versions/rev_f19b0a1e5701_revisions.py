"""revisions: every content write keeps the rows it changes, before and after

Revision ID: f19b0a1e5701
Revises: f19a0c0de001
Create Date: 2026-12-06 09:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "f19b0a1e5701"
down_revision: str | Sequence[str] | None = "f19a0c0de001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=100), nullable=False),
        sa.Column("row_key", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisions")),
    )
    op.create_index("ix_revisions_table_row", "revisions", ["table_name", "row_key"])
    op.create_index(op.f("ix_revisions_version"), "revisions", ["version"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_revisions_version"), table_name="revisions")
    op.drop_index("ix_revisions_table_row", table_name="revisions")
    op.drop_table("revisions")
