"""published documents: rendered public API responses shared with the Lambda fast path

Revision ID: 535fff8b801f
Revises: 5e36425a0e1b
Create Date: 2026-11-23 06:29:23.169299
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "535fff8b801f"
down_revision: str | Sequence[str] | None = "5e36425a0e1b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "published_documents",
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(length=100), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column(
            "rendered_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_published_documents")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("published_documents")
